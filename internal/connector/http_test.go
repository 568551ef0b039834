package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// receiver is an HTTP endpoint that records requests and answers status.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	reqs   []recorded
}

type recorded struct {
	method, path, contentType, authorization string
	hasAuthorization                         bool
	body                                     string
}

func newReceiver(t *testing.T, status int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		_, has := req.Header["Authorization"]
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{req.Method, req.URL.Path, req.Header.Get("Content-Type"), req.Header.Get("Authorization"), has, string(body)})
		status := r.status
		r.mu.Unlock()
		if status == http.StatusFound {
			http.Redirect(w, req, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, "secret-echo ann@example.com 123456")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func httpSender(t *testing.T, f *connector.Factory, config string) connector.Sender {
	t.Helper()
	if err := f.Validate(json.RawMessage(config)); err != nil {
		t.Fatal(err)
	}
	s, err := f.NewSender(json.RawMessage(config), connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHTTPConnectors(t *testing.T) {
	for _, tc := range []struct {
		factory *connector.Factory
		to      string
	}{
		{connector.HTTPEmailFactory(), "ann@example.com"},
		{connector.HTTPSMSFactory(), "15551234567"},
	} {
		t.Run(tc.factory.Metadata.ID, func(t *testing.T) {
			rcv := newReceiver(t, http.StatusNoContent)
			s := httpSender(t, tc.factory, `{"endpoint": "`+rcv.URL+`/hook", "authorization": "Bearer tok-123"}`)
			msg := connector.Message{To: tc.to, UsageType: "SignIn", Code: "123456", Locale: "de", IP: "203.0.113.7"}
			if err := s.Send(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			// Without locale and IP, and without an authorization header.
			bare := httpSender(t, tc.factory, `{"endpoint": "`+rcv.URL+`/hook"}`)
			if err := bare.Send(context.Background(), connector.Message{To: tc.to, UsageType: "Generic", Code: "000000"}); err != nil {
				t.Fatal(err)
			}
			reqs := rcv.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			want := `{"to":"` + tc.to + `","type":"SignIn","payload":{"code":"123456","locale":"de"},"ip":"203.0.113.7"}`
			if r := reqs[0]; r.method != "POST" || r.path != "/hook" || r.contentType != "application/json" ||
				r.authorization != "Bearer tok-123" || r.body != want {
				t.Fatalf("request %+v\nwant body %s", r, want)
			}
			want = `{"to":"` + tc.to + `","type":"Generic","payload":{"code":"000000"}}`
			if r := reqs[1]; r.hasAuthorization || r.body != want {
				t.Fatalf("request %+v\nwant body %s and no Authorization", r, want)
			}
		})
	}
}

func TestHTTPConnectorFailures(t *testing.T) {
	f := connector.HTTPEmailFactory()
	msg := connector.Message{To: "ann@example.com", UsageType: "SignIn", Code: "123456"}
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError, http.StatusFound} {
		rcv := newReceiver(t, status)
		err := httpSender(t, f, `{"endpoint": "`+rcv.URL+`"}`).Send(context.Background(), msg)
		var se *connector.StatusError
		if !errors.As(err, &se) || se.Status != status {
			t.Fatalf("status %d: error %v", status, err)
		}
		if strings.Contains(err.Error(), "secret-echo") || strings.Contains(err.Error(), "123456") {
			t.Fatalf("error carries the response body: %v", err)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("status %d: %d requests, want 1 (redirects not followed)", status, n)
		}
	}

	t.Run("timeout", func(t *testing.T) {
		if connector.DefaultHTTPClient().Timeout != 5*time.Second {
			t.Fatal("default timeout is not 5 s")
		}
		block := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
		defer slow.Close()
		defer close(block)
		s, _ := f.NewSender(json.RawMessage(`{"endpoint": "`+slow.URL+`"}`), connector.Env{HTTPClient: &http.Client{Timeout: 200 * time.Millisecond}})
		start := time.Now()
		if err := s.Send(context.Background(), msg); err == nil || time.Since(start) > 3*time.Second {
			t.Fatalf("Send = %v after %v", err, time.Since(start))
		}
	})

	t.Run("key in URL stays out of errors", func(t *testing.T) {
		s := httpSender(t, f, `{"endpoint": "http://127.0.0.1:1/send?key=topsecret"}`)
		err := s.Send(context.Background(), msg)
		if err == nil || strings.Contains(err.Error(), "topsecret") {
			t.Fatalf("error %v", err)
		}
	})
}

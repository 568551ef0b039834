package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which scripts/ensure-chromium.sh installs.
const chromiumPath = "/usr/bin/chromium"

// browserTestTimeout bounds everything one browser test does in Chromium:
// when it ends, the browser is stopped and every pending action fails.
const browserTestTimeout = 30 * time.Second

// syncBuffer collects Chromium's output and chromedp's errors, which arrive
// from other goroutines, to show them when a test fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Printf(format string, args ...any) {
	fmt.Fprintf(b, format+"\n", args...)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTab starts a headless Chromium for this test and returns the context
// of its tab. Each test gets a browser of its own, with a fresh temporary
// user data directory (chromedp creates it and removes it when the browser
// stops), so no cookie or interaction leaks between tests; starting one
// takes a few hundred milliseconds. Everything the test does in the
// browser is bounded by browserTestTimeout. The test fails, never skips,
// when Chromium is not installed.
func newTab(t *testing.T) context.Context {
	t.Helper()
	return newTabWith(t)
}

// newTabWith is newTab with extra Chromium options, such as
// chromedp.Flag("host-resolver-rules", ...) to reach fake identity
// providers or a TLS proxy under their public host names.
func newTabWith(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (%v): run scripts/ensure-chromium.sh (as root) to install Debian's chromium package", chromiumPath, err)
	}
	var out syncBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&out),
	)
	opts = append(opts, extra...)
	deadline, cancelDeadline := context.WithTimeout(context.Background(), browserTestTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(out.Printf))
	t.Cleanup(func() {
		// Closes the tab and the browser, and waits until the browser has
		// stopped and its user data directory is gone.
		if err := chromedp.Cancel(tab); err != nil && deadline.Err() == nil {
			t.Logf("closing chromium: %v", err)
		}
		cancelTab()
		cancelAlloc()
		cancelDeadline()
		if t.Failed() {
			if s := out.String(); s != "" {
				t.Logf("chromium output:\n%s", s)
			}
		}
	})
	// The first action starts the browser and opens the tab. A headless
	// tab never has the window focus, so :focus would not match and a
	// screenshot would show no focus ring: emulate a focused page, as a
	// person sees it.
	err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	if err != nil {
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, out.String())
	}
	return tab
}

// browserDo runs steps in the tab and fails the test on an error.
func browserDo(t *testing.T, tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// browserRun runs one action that returns a value, and fails the test on an error.
func browserRun[T any](t *testing.T, tab context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(tab, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// appCallback is the redirect URI of a client application: a loopback
// server that records the query of each request to /callback and answers
// "signed in", so the browser really lands somewhere at the end of a flow.
type appCallback struct {
	URL      string // http://127.0.0.1:port/callback
	received chan url.Values
}

func newAppCallback(t *testing.T) *appCallback {
	t.Helper()
	cb := &appCallback{received: make(chan url.Values, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		select {
		case cb.received <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "signed in")
	}))
	t.Cleanup(srv.Close)
	cb.URL = srv.URL + "/callback"
	return cb
}

// wait returns the query of the next request to the callback.
func (cb *appCallback) wait(t *testing.T, tab context.Context) url.Values {
	t.Helper()
	select {
	case q := <-cb.received:
		return q
	case <-tab.Done():
		t.Fatalf("the browser never reached the application's callback %s: %v", cb.URL, tab.Err())
	}
	return nil
}

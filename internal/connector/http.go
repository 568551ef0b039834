package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTPTimeout bounds one request of the HTTP connectors.
const HTTPTimeout = 5 * time.Second

// DefaultHTTPClient is the HTTP connectors' client: a 5 s timeout, and no
// redirects (a 3xx answer is an error like any other non-2xx).
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: HTTPTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// HTTPEmailFactory is Logto's "http-email" connector: each message is a
// JSON POST to the configured endpoint.
func HTTPEmailFactory() *Factory {
	return httpFactory(HTTPEmailFactoryID, TypeEmail, "HTTP Email",
		"Send email by calling your own HTTP endpoint.", "email address", emailLogo)
}

// HTTPSMSFactory is Logto's "http-sms" connector.
func HTTPSMSFactory() *Factory {
	return httpFactory(HTTPSMSFactoryID, TypeSMS, "HTTP SMS",
		"Send text messages by calling your own HTTP endpoint.", "phone number", smsLogo)
}

func httpFactory(id string, typ Type, name, description, recipient string, logo logoPair) *Factory {
	return &Factory{
		Type:           typ,
		SingleInstance: true,
		Secrets:        [][]string{{"authorization"}},
		Metadata: Metadata{
			ID:          id,
			Target:      id,
			Name:        map[string]string{"en": name},
			Logo:        logo.light,
			LogoDark:    logo.dark,
			Description: map[string]string{"en": description},
			Readme: "# " + name + "\n\n" + description + "\n\n" +
				"For every message Gatehouse sends `POST <endpoint>` with `Content-Type: application/json` and the body\n\n" +
				"```json\n{\"to\": \"<" + recipient + ">\", \"type\": \"SignIn\", \"payload\": {\"code\": \"123456\", \"locale\": \"en\"}, \"ip\": \"203.0.113.7\"}\n```\n\n" +
				"`type` is the template usage type (`SignIn`, `Register`, `ForgotPassword`, `Generic`, ...); `locale` and `ip` are left out when unknown. " +
				"When `authorization` is configured it is sent as the `Authorization` header. Any 2xx answer counts as sent; the request times out after 5 seconds.\n",
			FormItems: []FormItem{
				{Type: FormText, Key: "endpoint", Label: "Endpoint", Required: true, Placeholder: "https://example.com/send"},
				{Type: FormText, Key: "authorization", Label: "Authorization header", Placeholder: "Bearer <token>",
					Tooltip: "Sent as the Authorization header of every request, so that your endpoint can tell the calls are Gatehouse's.", IsConfidential: true},
			},
		},
		Validate: func(raw json.RawMessage) error {
			_, err := parseHTTPConfig(raw)
			return err
		},
		NewSender: func(raw json.RawMessage, env Env) (Sender, error) {
			cfg, err := parseHTTPConfig(raw)
			if err != nil {
				return nil, err
			}
			client := env.HTTPClient
			if client == nil {
				client = DefaultHTTPClient()
			}
			return &httpSender{cfg: cfg, client: client}, nil
		},
	}
}

type httpConfig struct {
	endpoint      string
	authorization string
}

func parseHTTPConfig(raw json.RawMessage) (httpConfig, error) {
	o, err := parseConfig(raw)
	if err != nil {
		return httpConfig{}, err
	}
	var c httpConfig
	if c.endpoint, err = o.str("endpoint", true); err != nil {
		return c, err
	}
	u, err := url.Parse(c.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, &ConfigError{Field: "endpoint", Reason: "expected an absolute http or https URL"}
	}
	if c.authorization, err = o.str("authorization", false); err != nil {
		return c, err
	}
	return c, nil
}

type httpSender struct {
	cfg    httpConfig
	client *http.Client
}

// httpBody is the request body of Logto's HTTP connectors.
type httpBody struct {
	To      string      `json:"to"`
	Type    string      `json:"type"`
	Payload httpPayload `json:"payload"`
	IP      string      `json:"ip,omitempty"`
}

type httpPayload struct {
	Code   string `json:"code"`
	Locale string `json:"locale,omitempty"`
}

func (h *httpSender) Send(ctx context.Context, msg Message) error {
	body, err := json.Marshal(httpBody{To: msg.To, Type: msg.UsageType, Payload: httpPayload{Code: msg.Code, Locale: msg.Locale}, IP: msg.IP})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("connector: building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.cfg.authorization != "" {
		req.Header.Set("Authorization", h.cfg.authorization)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// Leave the URL out of the error: it may carry a key.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("connector: calling endpoint: %w", err)
	}
	// Drain a little so the connection can be reused; the content is not
	// looked at or logged.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Status: resp.StatusCode}
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"time"
)

// runHealthcheck GETs the status endpoint and succeeds only on 204. It
// serves as the container's HEALTHCHECK, where there is no curl.
func runHealthcheck(ctx context.Context, args []string, _, stderr io.Writer) error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3001"
	}
	fs := newFlags("healthcheck", stderr)
	url := fs.String("url", "http://127.0.0.1:"+port+"/api/status", "status URL to check; healthy on 204")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("--url: %v", err)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}).Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer within %s", *url, *timeout)
		}
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s: %v", *url, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%s: status %d, want 204", *url, resp.StatusCode)
	}
	return nil
}

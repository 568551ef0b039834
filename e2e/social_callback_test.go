package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The callback URL takes posts from anyone (Apple's form_post, SAML's
// HTTP-POST binding), so nothing posted there is trusted: a post without
// a well-formed state is refused, a post whose browser holds no matching
// interaction comes to nothing, and one address can post only so often.
func TestCallbackPostIsBounded(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(form url.Values) *http.Response {
		t.Helper()
		res, err := client.PostForm(in.URL+"/callback/abc123", form)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	if res := post(url.Values{"code": {"x"}}); res.StatusCode != 400 {
		t.Fatalf("a post without state: %d, want 400", res.StatusCode)
	}
	if res := post(url.Values{"state": {strings.Repeat("a", 90) + ".b"}}); res.StatusCode != 400 {
		t.Fatalf("a post with an oversized state: %d, want 400", res.StatusCode)
	}
	res := post(url.Values{"state": {"no-such-interaction.abcdef"}, "code": {"x"}})
	if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), "/callback/abc123?posted=") {
		t.Fatalf("a well-formed post: %d to %q, want 303 to the GET callback", res.StatusCode, res.Header.Get("Location"))
	}
	// The browser that follows has no interaction: nothing happens.
	follow, err := client.Get(in.URL + res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(follow.Body)
	follow.Body.Close()
	if follow.StatusCode != 400 || !strings.Contains(string(body), "expired") {
		t.Fatalf("following a post for an unknown interaction: %d %s", follow.StatusCode, body)
	}
	// The handle is single use.
	again, err := client.Get(in.URL + res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != 400 {
		t.Fatalf("a stashed callback read twice: %d", again.StatusCode)
	}
	limited := false
	for range 80 {
		if res := post(url.Values{"state": {"x.y"}}); res.StatusCode == 429 {
			limited = res.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Fatal("80 posts from one address were all accepted")
	}
}

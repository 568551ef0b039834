package connectortest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// FakeFacebook stands in for www.facebook.com (the login dialog) and
// graph.facebook.com (the code exchange, by GET as Facebook documents it
// or by POST, and /me), at any /vNN.N/ version path and without one.
//
// /me returns the email only when the token has the email permission and
// FakeAccount.EmailVerified is set: Facebook leaves out addresses the user
// has not confirmed. When the request carries appsecret_proof it must be
// right. An empty FakeAccount.ID leaves the id out. FailToken answers 400
// with an OAuthException, Facebook's error shape.
type FakeFacebook struct {
	*authCodeBook
}

// Facebook app credentials the fake accepts.
const (
	FakeFacebookAppID     = "1234567890123456"
	FakeFacebookAppSecret = "fb0a1b2c3d4e5f60718293a4b5c6d7e8"
)

var facebookVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// NewFakeFacebook registers www.facebook.com and graph.facebook.com on u.
func NewFakeFacebook(u *Upstream, acct FakeAccount) *FakeFacebook {
	f := &FakeFacebook{newAuthCodeBook(acct, map[string]string{FakeFacebookAppID: FakeFacebookAppSecret})}
	www := http.NewServeMux()
	www.HandleFunc("GET /dialog/oauth", f.dialog)
	www.HandleFunc("GET /{version}/dialog/oauth", f.versioned(f.dialog))
	u.Handle("www.facebook.com", www)
	graph := http.NewServeMux()
	graph.HandleFunc("/oauth/access_token", f.accessToken)
	graph.HandleFunc("/{version}/oauth/access_token", f.versioned(f.accessToken))
	graph.HandleFunc("GET /me", f.me)
	graph.HandleFunc("GET /{version}/me", f.versioned(f.me))
	u.Handle("graph.facebook.com", graph)
	return f
}

// FactoryID is "facebook-universal".
func (f *FakeFacebook) FactoryID() string { return "facebook-universal" }

// Config is a facebook-universal config with the fake app's credentials.
func (f *FakeFacebook) Config() json.RawMessage {
	c, _ := json.Marshal(map[string]string{"clientId": FakeFacebookAppID, "clientSecret": FakeFacebookAppSecret})
	return c
}

func (f *FakeFacebook) versioned(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !facebookVersion.MatchString(r.PathValue("version")) {
			f.graphError(w, http.StatusBadRequest, "Unknown path components: /"+r.PathValue("version"), "OAuthException", 2500, 0)
			return
		}
		h(w, r)
	}
}

// graphError answers with the Graph API's error object.
func (f *FakeFacebook) graphError(w http.ResponseWriter, status int, message, typ string, code, subcode int) {
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "AbCdEfGhIjK"}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	f.writeJSON(w, status, map[string]any{"error": e})
}

func (f *FakeFacebook) dialog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.recordAuthorization(q)
	if !f.knownClient(q.Get("client_id")) {
		http.Error(w, "Invalid App ID: The provided app ID does not look like a valid app ID.", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if !f.redirectAllowed(redirect, false) {
		http.Error(w, "URL blocked: This redirect failed because the redirect URI is not whitelisted in the app's client OAuth settings.", http.StatusBadRequest)
		return
	}
	state := q.Get("state")
	acct, fail := f.current()
	// Facebook appends "#_=_" to the redirect; browsers keep fragments
	// out of requests, so the callback never sees it.
	switch fail {
	case FailAuthorize:
		f.redirectBack(w, redirect, url.Values{"error": {"access_denied"}, "error_code": {"200"},
			"error_description": {"Permissions error"}, "error_reason": {"user_denied"}, "state": {state}}, "_=_")
		return
	case FailWrongState:
		state = "tampered-" + state
	}
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if challenge != "" && method == "" {
		method = "plain"
	}
	code := f.issueCode(issuedCode{clientID: q.Get("client_id"), redirectURI: redirect, scope: q.Get("scope"),
		challenge: challenge, challengeMethod: method, acct: acct})
	f.redirectBack(w, redirect, url.Values{"code": {code}, "state": {state}}, "_=_")
}

func (f *FakeFacebook) accessToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		f.graphError(w, http.StatusBadRequest, "Unsupported method", "OAuthException", 100, 0)
		return
	}
	if err := r.ParseForm(); err != nil {
		f.graphError(w, http.StatusBadRequest, "Malformed request", "OAuthException", 100, 0)
		return
	}
	f.recordTokenRequest(r.Form)
	id := r.Form.Get("client_id")
	if !f.knownClient(id) {
		f.graphError(w, http.StatusBadRequest, "Error validating application. Invalid application ID.", "OAuthException", 101, 0)
		return
	}
	if !f.authenticate(id, r.Form.Get("client_secret")) {
		f.graphError(w, http.StatusBadRequest, "Error validating client secret.", "OAuthException", 1, 0)
		return
	}
	if _, mode := f.current(); mode == FailToken {
		f.graphError(w, http.StatusBadRequest, "This authorization code has expired.", "OAuthException", 100, 36007)
		return
	}
	grant, problem := f.redeem(r.Form.Get("code"), id, r.Form.Get("redirect_uri"), r.Form.Get("code_verifier"), false)
	switch problem {
	case redeemOK:
	case redeemReused:
		f.graphError(w, http.StatusBadRequest, "This authorization code has been used.", "OAuthException", 100, 36009)
		return
	case redeemExpired:
		f.graphError(w, http.StatusBadRequest, "This authorization code has expired.", "OAuthException", 100, 36007)
		return
	case redeemWrongRedirect:
		f.graphError(w, http.StatusBadRequest, "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
			"OAuthException", 100, 36008)
		return
	case redeemWrongVerifier:
		f.graphError(w, http.StatusBadRequest, "Invalid code verifier.", "OAuthException", 100, 0)
		return
	default:
		f.graphError(w, http.StatusBadRequest, "Invalid verification code format.", "OAuthException", 100, 0)
		return
	}
	tok := f.issueToken(issuedToken{clientID: id, scope: grant.scope, acct: grant.acct})
	f.writeJSON(w, http.StatusOK, map[string]any{"access_token": "EAA" + tok, "token_type": "bearer", "expires_in": 5183944})
}

func (f *FakeFacebook) me(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw := f.bearer(r)
	if raw == "" {
		raw = q.Get("access_token")
	}
	if raw == "" {
		f.graphError(w, http.StatusBadRequest, "An active access token must be used to query information about the current user.", "OAuthException", 2500, 0)
		return
	}
	t, ok := f.token(strings.TrimPrefix(raw, "EAA"))
	if !ok {
		f.graphError(w, http.StatusBadRequest, "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190, 0)
		return
	}
	if proof := q.Get("appsecret_proof"); proof != "" {
		mac := hmac.New(sha256.New, []byte(f.secretOf(t.clientID)))
		mac.Write([]byte(raw))
		if !hmac.Equal([]byte(proof), []byte(hex.EncodeToString(mac.Sum(nil)))) {
			f.graphError(w, http.StatusBadRequest, "Invalid appsecret_proof provided in the API argument", "GraphMethodException", 100, 0)
			return
		}
	}
	fields := strings.Split(q.Get("fields"), ",")
	if q.Get("fields") == "" {
		fields = []string{"id", "name"}
	}
	a := t.acct
	body := map[string]any{}
	granted := strings.FieldsFunc(t.scope, func(r rune) bool { return r == ',' || r == ' ' })
	for _, field := range fields {
		switch strings.TrimSpace(field) {
		case "id":
			if a.ID != "" {
				body["id"] = a.ID
			}
		case "name":
			if a.Name != "" {
				body["name"] = a.Name
			}
		case "email":
			if a.Email != "" && a.EmailVerified && slices.Contains(granted, "email") {
				body["email"] = a.Email
			}
		case "picture":
			if a.Picture != "" {
				body["picture"] = map[string]any{"data": map[string]any{"height": 50, "width": 50, "is_silhouette": false, "url": a.Picture}}
			}
		}
	}
	f.writeJSON(w, http.StatusOK, body)
}

var _ FakeProvider = (*FakeFacebook)(nil)

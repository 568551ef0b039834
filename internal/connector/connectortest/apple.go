package connectortest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// FakeApple is Sign in with Apple on its real host, appleid.apple.com:
// /auth/authorize answers with a page that posts the result to the
// redirect URI (response_mode=form_post) with code and state, and the
// first time an account authorizes the client, a `user` JSON with its
// name and email; /auth/token authenticates the client by its client
// secret, an ES256 JWT that must verify against the public half of the
// developer key the fake was made with; /auth/keys publishes the ID token
// key. ID tokens are RS256 with iss https://appleid.apple.com and carry
// email_verified and is_private_email as strings, as Apple has sent them
// (SetStringBooleans(false) sends JSON booleans).
type FakeApple struct {
	*openIDFake
	teamID, keyID string
	developerKey  *ecdsa.PrivateKey

	// Guarded by mu.
	stringBooleans bool
	authorized     map[string]bool
}

const (
	fakeAppleClientID = "com.example.gatehouse.signin"
	fakeAppleTeamID   = "FAKETEAM01"
	fakeAppleKeyID    = "FAKEKEY001"
	appleAudience     = "https://appleid.apple.com"
	// appleMaxSecretAge is Apple's limit on a client secret's lifetime.
	appleMaxSecretAge = 15777000 * time.Second
)

// NewFakeApple registers appleid.apple.com on u, signing acct in. It makes
// the developer's private key (the .p8 file) that Config carries.
func NewFakeApple(u *Upstream, acct FakeAccount) *FakeApple {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic("connectortest: generating an Apple developer key: " + err.Error())
	}
	f := &FakeApple{
		openIDFake:     newOpenIDFake("https://appleid.apple.com", fakeAppleClientID, "", jose.RS256, acct),
		teamID:         fakeAppleTeamID,
		keyID:          fakeAppleKeyID,
		developerKey:   key,
		stringBooleans: true,
		authorized:     map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/authorize", f.authorize)
	mux.HandleFunc("/auth/token", f.token)
	mux.HandleFunc("/auth/keys", f.serveJWKS)
	u.Handle("appleid.apple.com", mux)
	return f
}

var _ FakeProvider = (*FakeApple)(nil)

// FactoryID is Logto's Apple connector id.
func (f *FakeApple) FactoryID() string { return "apple-universal" }

// Config is an apple-universal config for this fake: the Services ID,
// team id, key id and the .p8 private key in PEM.
func (f *FakeApple) Config() json.RawMessage {
	b, _ := json.Marshal(map[string]any{"clientId": f.clientID, "teamId": f.teamID, "keyId": f.keyID,
		"privateKey": ApplePrivateKeyPEM(f.developerKey), "scope": "name email"})
	return b
}

// ApplePrivateKeyPEM renders a P-256 key as Apple's .p8 files hold it: a
// PKCS #8 "PRIVATE KEY" PEM block.
func ApplePrivateKeyPEM(key *ecdsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic("connectortest: encoding a P-256 key: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// SetStringBooleans chooses how the next ID tokens carry email_verified
// and is_private_email: as "true"/"false" strings (on, the default) or as
// JSON booleans.
func (f *FakeApple) SetStringBooleans(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stringBooleans = on
}

func (f *FakeApple) authorize(w http.ResponseWriter, r *http.Request) {
	req, ok := f.startAuthorization(w, r)
	if !ok {
		return
	}
	q := req.query
	rt := strings.Fields(q.Get("response_type"))
	slices.Sort(rt)
	if !slices.Equal(rt, []string{"code"}) && !slices.Equal(rt, []string{"code", "id_token"}) {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "Invalid response_type.")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	for _, s := range scopes {
		if s != "name" && s != "email" && s != "openid" {
			openIDErrorPage(w, http.StatusBadRequest, "invalid_scope", "Invalid scope: "+s)
			return
		}
	}
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	wantsProfile := slices.Contains(scopes, "name") || slices.Contains(scopes, "email")
	if (wantsProfile && mode != "form_post") || (mode != "query" && mode != "fragment" && mode != "form_post") {
		openIDErrorPage(w, http.StatusBadRequest, "invalid_request", "response_mode must be form_post when name or email scope is requested.")
		return
	}
	deliver := func(params map[string][]string) {
		if mode == "form_post" {
			openIDFormPost(w, req.redirectURI, params)
		} else {
			openIDRedirect(w, req.redirectURI, params)
		}
	}
	if req.fail == FailAuthorize {
		deliver(map[string][]string{"error": {"user_cancelled_authorize"}, "state": {req.callbackState()}})
		return
	}
	params := map[string][]string{"code": {f.issueCode(req.grant)}, "state": {req.callbackState()}}
	if slices.Contains(rt, "id_token") {
		idToken, err := f.idToken(req.grant)
		if err != nil {
			openIDErrorPage(w, http.StatusInternalServerError, "server_error", err.Error())
			return
		}
		params["id_token"] = []string{idToken}
	}
	// Apple sends the name only once: on the account's first
	// authorization of this client.
	acct := req.grant.account
	f.mu.Lock()
	first := !f.authorized[acct.ID]
	f.authorized[acct.ID] = true
	f.mu.Unlock()
	if first && wantsProfile {
		user := map[string]any{}
		if slices.Contains(scopes, "name") && acct.Name != "" {
			given, family := openIDSplitName(acct.Name)
			user["name"] = map[string]string{"firstName": given, "lastName": family}
		}
		if slices.Contains(scopes, "email") && acct.Email != "" {
			user["email"] = acct.Email
		}
		b, _ := json.Marshal(user)
		params["user"] = []string{string(b)}
	}
	deliver(params)
}

// checkClientSecret verifies Apple's client secret: an ES256 JWT with the
// key id in its header, signed by the developer key, iss the team id, sub
// the client id, aud https://appleid.apple.com, and a lifetime of at most
// six months.
func (f *FakeApple) checkClientSecret(secret string) bool {
	jws, err := jose.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != f.keyID {
		return false
	}
	payload, err := jws.Verify(&f.developerKey.PublicKey)
	if err != nil {
		return false
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Iss != f.teamID || c.Sub != f.clientID {
		return false
	}
	var aud string
	var auds []string
	if json.Unmarshal(c.Aud, &aud) == nil {
		auds = []string{aud}
	} else if json.Unmarshal(c.Aud, &auds) != nil {
		return false
	}
	now := time.Now()
	iat, exp := time.Unix(c.Iat, 0), time.Unix(c.Exp, 0)
	return slices.Contains(auds, appleAudience) && c.Iat > 0 && !iat.After(now.Add(time.Minute)) &&
		exp.After(now) && exp.Sub(iat) <= appleMaxSecretAge
}

func (f *FakeApple) token(w http.ResponseWriter, r *http.Request) {
	if !openIDPostOnly(w, r) {
		return
	}
	form := r.PostForm
	if form.Get("client_id") != f.clientID || !f.checkClientSecret(form.Get("client_secret")) {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_client", "")
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		openIDOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	g := f.redeem(form.Get("code"))
	if code, _ := openIDCheckCode(g, form); code != "" {
		openIDOAuthError(w, http.StatusBadRequest, code, "The code has expired or has been revoked.")
		return
	}
	if g.fail == FailToken {
		openIDOAuthError(w, http.StatusBadRequest, "invalid_grant", "The code has expired or has been revoked.")
		return
	}
	idToken, err := f.idToken(g)
	if err != nil {
		openIDOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	openIDJSON(w, http.StatusOK, map[string]any{"access_token": "a" + randomHex() + ".0.fake", "token_type": "Bearer",
		"expires_in": 3600, "refresh_token": "r" + randomHex() + ".0.fake", "id_token": idToken})
}

// idToken is Apple's ID token for g.
func (f *FakeApple) idToken(g *openIDGrant) (string, error) {
	f.mu.Lock()
	asStrings := f.stringBooleans
	f.mu.Unlock()
	flag := func(b bool) any {
		if asStrings {
			if b {
				return "true"
			}
			return "false"
		}
		return b
	}
	now := time.Now()
	c := f.idTokenClaims(g, now)
	c["auth_time"] = now.Unix()
	c["nonce_supported"] = true
	c["real_user_status"] = 2
	if a := g.account; a.Email != "" && strings.Contains(g.scope, "email") {
		c["email"] = a.Email
		c["email_verified"] = flag(a.EmailVerified)
		c["is_private_email"] = flag(strings.HasSuffix(strings.ToLower(a.Email), "@privaterelay.appleid.com"))
	}
	return f.sign(c, g.fail)
}

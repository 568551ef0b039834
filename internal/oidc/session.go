package oidc

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// session is a signed-in browser. The cookie holds a random token; the
// database holds the session under the token's digest.
type session struct {
	ID       string `json:"-"`
	UserID   string `json:"user_id"`
	AuthTime int64  `json:"auth_time"` // Unix seconds
}

func newToken() string { return id.Token() }

// digest is how tokens, codes and cookies are looked up: a database dump
// reveals no usable value.
func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (p *Provider) cookieName(base string) string {
	if p.opt.SecureCookies {
		return "__Host-" + base
	}
	return base
}

func (p *Provider) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     p.cookieName(base),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   p.opt.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// currentSession returns the browser's live session, or nil.
func (p *Provider) currentSession(r *http.Request) (*session, error) {
	ck, err := r.Cookie(p.cookieName("gatehouse_session"))
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return nil, nil
	}
	obj, err := p.store.GetObject(r.Context(), store.KindSession, digest(ck.Value), p.nowMillis())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var s session
	if json.Unmarshal(obj.Payload, &s) != nil {
		return nil, nil
	}
	s.ID = obj.ID
	return &s, nil
}

// startSession replaces any session of the browser with a new one, so a
// session id planted before sign-in is worthless after it.
func (p *Provider) startSession(w http.ResponseWriter, r *http.Request, userID string, authTime int64) (*session, error) {
	if old, _ := p.currentSession(r); old != nil {
		p.store.DeleteObject(r.Context(), store.KindSession, old.ID)
	}
	token := newToken()
	s := &session{ID: digest(token), UserID: userID, AuthTime: authTime}
	payload, _ := json.Marshal(s)
	err := p.store.PutObject(r.Context(), &store.OIDCObject{
		Kind:      store.KindSession,
		ID:        s.ID,
		Payload:   payload,
		ExpiresAt: p.now().Add(p.opt.SessionTTL).UnixMilli(),
	})
	if err != nil {
		return nil, err
	}
	p.setCookie(w, "gatehouse_session", token, int(p.opt.SessionTTL.Seconds()))
	return s, nil
}

func (p *Provider) endBrowserSession(w http.ResponseWriter, r *http.Request) error {
	s, err := p.currentSession(r)
	if err != nil {
		return err
	}
	if s != nil {
		if err := p.store.DeleteObject(r.Context(), store.KindSession, s.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	p.setCookie(w, "gatehouse_session", "", -1)
	return nil
}

func (p *Provider) sessionTooOld(s *session, maxAge int) bool {
	return maxAge >= 0 && p.now().Unix()-s.AuthTime > int64(maxAge)
}

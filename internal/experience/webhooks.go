package experience

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/internal/oidc"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/webhook"
)

// hookEvent describes an event of the sign-in flows for the webhooks: the
// user, the application signed in to (when in is known) and the request.
func (p *Pages) hookEvent(r *http.Request, in *oidc.Interaction, name string, u *store.User) webhook.Event {
	ev := webhook.Event{Name: name, At: p.opt.Now(), UserAgent: r.UserAgent(), IP: p.opt.ClientIP(r), User: u}
	if u != nil {
		ev.UserID = u.ID
	}
	if in != nil {
		ev.ApplicationID = in.ClientID
	}
	return ev
}

// requestInteraction returns the interaction of the request's path, or
// nil, for the events of code paths that were not handed it.
func (p *Pages) requestInteraction(r *http.Request) *oidc.Interaction {
	if p.provider == nil {
		return nil
	}
	in, err := p.provider.Interaction(r, r.PathValue("interaction"))
	if err != nil {
		return nil
	}
	return in
}

// updateUserWithEvent stores u and enqueues event about it in one
// transaction, so that the event exists exactly when the change does.
func (p *Pages) updateUserWithEvent(r *http.Request, in *oidc.Interaction, u *store.User, event string) error {
	return p.store.InTx(r.Context(), func(tx store.Store) error {
		if err := tx.UpdateUser(r.Context(), u); err != nil {
			return err
		}
		if event == "" {
			return nil
		}
		return webhook.Enqueue(r.Context(), tx, p.hookEvent(r, in, event, u))
	})
}

// emitEvent enqueues event about u in a transaction of its own, for flows
// whose change is already stored. A failure is logged, not shown: the
// user's sign-in succeeded.
func (p *Pages) emitEvent(r *http.Request, in *oidc.Interaction, event string, u *store.User) {
	if !webhook.Wanted(r.Context(), p.store, event) {
		return
	}
	err := p.store.InTx(r.Context(), func(tx store.Store) error {
		return webhook.Enqueue(r.Context(), tx, p.hookEvent(r, in, event, u))
	})
	if err != nil {
		p.log.Error("recording a webhook event failed", "event", event, "user_id", u.ID, "err", err)
	}
}

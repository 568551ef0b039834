// Package webhook delivers Logto-compatible webhooks. Events are written to
// an outbox (store.Hooks) in the transaction of the change they describe,
// one row per subscribed hook, so that an event exists exactly when its
// change does and survives a crash. A Worker posts due rows to their hooks
// with Logto's headers and signature, retrying failures on a backoff
// schedule; several workers on one database share the outbox through
// leases, so each event goes out once.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
)

// Logto's hook events. Interaction events report a user's sign-in flows;
// data events report changes to records.
const (
	PostRegister      = "PostRegister"
	PostSignIn        = "PostSignIn"
	PostResetPassword = "PostResetPassword"

	UserCreated                 = "User.Created"
	UserDeleted                 = "User.Deleted"
	UserDataUpdated             = "User.Data.Updated"
	UserSuspensionStatusUpdated = "User.SuspensionStatus.Updated"

	RoleCreated       = "Role.Created"
	RoleDeleted       = "Role.Deleted"
	RoleDataUpdated   = "Role.Data.Updated"
	RoleScopesUpdated = "Role.Scopes.Updated"

	ScopeCreated     = "Scope.Created"
	ScopeDeleted     = "Scope.Deleted"
	ScopeDataUpdated = "Scope.Data.Updated"
)

// Events lists every event name Logto's API accepts on a hook, in Logto's
// order. Gatehouse emits the interaction, user, role and scope events;
// hooks may subscribe to the others (organizations, exceptions), which
// never fire here.
var Events = []string{
	PostRegister, PostSignIn, "PostSignInAdaptiveMfaTriggered", PostResetPassword,
	UserCreated, UserDeleted, UserDataUpdated, UserSuspensionStatusUpdated,
	RoleCreated, RoleDeleted, RoleDataUpdated, RoleScopesUpdated,
	ScopeCreated, ScopeDeleted, ScopeDataUpdated,
	"Organization.Created", "Organization.Deleted", "Organization.Data.Updated", "Organization.Membership.Updated",
	"OrganizationRole.Created", "OrganizationRole.Deleted", "OrganizationRole.Data.Updated", "OrganizationRole.Scopes.Updated",
	"OrganizationScope.Created", "OrganizationScope.Deleted", "OrganizationScope.Data.Updated",
	"Identifier.Lockout", "Message.RateLimited", "Grant.LimitExceeded",
}

// Known reports whether name is one of Events.
func Known(name string) bool { return slices.Contains(Events, name) }

// interactionEvents maps Logto's interaction hook events to the
// interaction event that triggers them.
var interactionEvents = map[string]string{
	PostRegister:                     "Register",
	PostSignIn:                       "SignIn",
	"PostSignInAdaptiveMfaTriggered": "SignIn",
	PostResetPassword:                "ForgotPassword",
}

// IsInteraction reports whether name is an interaction event, whose
// payload describes a user and an application rather than a record.
func IsInteraction(name string) bool { _, ok := interactionEvents[name]; return ok }

// Event is something that happened, as the payload posted to each
// subscribed hook will tell it. Only the fields that apply are set.
type Event struct {
	Name string
	// At is when it happened; zero means now. Callers with an injectable
	// clock pass its time, which also makes the first delivery due then.
	At time.Time

	// The request that caused the event.
	UserAgent string
	IP        string

	// Interaction events (and the data events of an interaction).
	SessionID string
	UserID    string
	// User is rendered without secrets (users.ToJSON): as the payload's
	// user for interaction events, as its data for data events.
	User          *store.User
	ApplicationID string // the application signed in to; rendered from the store

	// Management API data events: the request and its answer.
	Path, Method string
	MatchedRoute string // the route pattern, as /api/users/:userId
	Status       int
	Params       map[string]string
	// Data is the event's record as the API shows it (for user events,
	// the user without secrets); nil leaves the field out.
	Data any
}

// application is the part of an application Logto puts in payloads.
type application struct {
	ID          string                `json:"id"`
	Type        store.ApplicationType `json:"type"`
	Name        string                `json:"name"`
	Description *string               `json:"description,omitempty"`
}

// payload is the body posted to a hook, with Logto's field names.
type payload struct {
	HookID           string            `json:"hookId"`
	Event            string            `json:"event"`
	CreatedAt        string            `json:"createdAt"`
	InteractionEvent string            `json:"interactionEvent,omitempty"`
	SessionID        string            `json:"sessionId,omitempty"`
	UserAgent        string            `json:"userAgent,omitempty"`
	UserIP           string            `json:"userIp,omitempty"` // interaction events
	IP               string            `json:"ip,omitempty"`     // data events
	UserID           string            `json:"userId,omitempty"`
	User             *users.JSON       `json:"user,omitempty"`
	ApplicationID    string            `json:"applicationId,omitempty"`
	Application      *application      `json:"application,omitempty"`
	Path             string            `json:"path,omitempty"`
	Method           string            `json:"method,omitempty"`
	Status           int               `json:"status,omitempty"`
	Params           map[string]string `json:"params,omitempty"`
	MatchedRoute     string            `json:"matchedRoute,omitempty"`
	Data             json.RawMessage   `json:"data,omitempty"`
}

// isoTime is JavaScript's Date.toISOString: UTC with milliseconds.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Subscribed reports whether h takes event name: its events list, or for
// hooks made with Logto's deprecated single event, that one.
func Subscribed(h *store.Hook, name string) bool {
	if len(h.Events) > 0 {
		return slices.Contains(h.Events, name)
	}
	return h.Event == name
}

// Wanted reports whether an enabled hook subscribes to name, reading st
// outside any transaction: a cheap check that lets hot paths (sign-in)
// skip a write transaction when no hook listens. It says true when it
// cannot tell.
func Wanted(ctx context.Context, st store.Store, name string) bool {
	hooks, _, err := st.ListHooks(ctx, store.Page{})
	if err != nil {
		return true
	}
	for i := range hooks {
		if hooks[i].Enabled && Subscribed(&hooks[i], name) {
			return true
		}
	}
	return false
}

// Enqueue writes one delivery of ev for every enabled hook subscribed to
// it, through tx: called inside the transaction of the change that ev
// reports, the event is stored if and only if the change is. Delivery
// happens later, on a Worker; Enqueue never waits for a hook.
func Enqueue(ctx context.Context, tx store.Store, ev Event) error {
	hooks, _, err := tx.ListHooks(ctx, store.Page{})
	if err != nil {
		return fmt.Errorf("webhook %s: %w", ev.Name, err)
	}
	var targets []store.Hook
	for i := range hooks {
		if hooks[i].Enabled && Subscribed(&hooks[i], ev.Name) {
			targets = append(targets, hooks[i])
		}
	}
	if len(targets) == 0 {
		return nil
	}
	at := ev.At
	if at.IsZero() {
		at = time.Now()
	}
	p := payload{Event: ev.Name, CreatedAt: isoTime(at), SessionID: ev.SessionID, UserAgent: ev.UserAgent,
		UserID: ev.UserID, ApplicationID: ev.ApplicationID, Path: ev.Path, Method: ev.Method, Status: ev.Status,
		Params: ev.Params, MatchedRoute: ev.MatchedRoute}
	if p.InteractionEvent = interactionEvents[ev.Name]; p.InteractionEvent != "" {
		p.UserIP = ev.IP
	} else {
		p.IP = ev.IP
	}
	data := ev.Data
	if ev.User != nil {
		j := users.ToJSON(ev.User)
		switch {
		case p.InteractionEvent != "":
			p.User = &j
			if p.UserID == "" {
				p.UserID = ev.User.ID
			}
		case data == nil:
			// A data event about a user carries it as its data, as Logto's.
			data = j
		}
	}
	if ev.ApplicationID != "" {
		// An application deleted meanwhile is left out, not an error.
		if app, err := tx.GetApplication(ctx, ev.ApplicationID); err == nil {
			p.Application = &application{ID: app.ID, Type: app.Type, Name: app.Name}
			if app.Description != "" {
				p.Application.Description = &app.Description
			}
		}
	}
	if data != nil {
		if p.Data, err = json.Marshal(data); err != nil {
			return fmt.Errorf("webhook %s: encode data: %w", ev.Name, err)
		}
	}
	deliveries := make([]store.HookDelivery, 0, len(targets))
	for _, h := range targets {
		p.HookID = h.ID
		body, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("webhook %s: encode payload: %w", ev.Name, err)
		}
		deliveries = append(deliveries, store.HookDelivery{HookID: h.ID, Event: ev.Name, Payload: body, CreatedAt: at.UnixMilli()})
	}
	if err := tx.EnqueueHookEvents(ctx, deliveries); err != nil {
		return fmt.Errorf("webhook %s: %w", ev.Name, err)
	}
	wake()
	return nil
}

// Workers in this process wait on these channels; Enqueue pokes them all
// so that the first attempt goes out at once rather than at the next poll.
var wakers = struct {
	sync.Mutex
	set map[chan struct{}]struct{}
}{set: map[chan struct{}]struct{}{}}

func wake() {
	wakers.Lock()
	defer wakers.Unlock()
	for c := range wakers.set {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func subscribe() chan struct{} {
	c := make(chan struct{}, 1)
	wakers.Lock()
	wakers.set[c] = struct{}{}
	wakers.Unlock()
	return c
}

func unsubscribe(c chan struct{}) {
	wakers.Lock()
	delete(wakers.set, c)
	wakers.Unlock()
}

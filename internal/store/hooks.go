package store

import (
	"context"
	"encoding/json"
)

// Hook is a webhook as Logto models it: the events it subscribes to, where
// and how to deliver them, and the key that signs every delivery. The key
// is kept only in sealed form (see internal/seal): SealedSigningKey is
// opaque to the store.
type Hook struct {
	ID   string // 21 characters, as Logto's
	Name string
	// Event is the single event of Logto's deprecated `event` field; ""
	// when unset.
	Event string
	// Events are the subscribed event names; nil is stored as [].
	Events           []string
	Config           HookConfig
	SealedSigningKey string
	Enabled          bool
	CreatedAt        int64
}

// HookConfig is Logto's hook config: the URL every event is posted to and
// the headers added to the request. Retries is Logto's deprecated field,
// kept only to be echoed back.
type HookConfig struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Retries *int              `json:"retries,omitempty"`
}

// HookDelivery is one event on its way to one hook: a row of the outbox.
// Payload is the exact JSON body to post (signed at delivery time with the
// hook's current key).
type HookDelivery struct {
	ID            string
	HookID        string
	Event         string
	Payload       json.RawMessage
	State         DeliveryState
	Attempts      int   // attempts made so far
	NextAttemptAt int64 // when the next attempt is due (Unix ms)
	// LeaseUntil is set by ClaimDueDeliveries: until then no other claimer
	// gets the delivery. A worker that dies mid-attempt loses its lease
	// and the delivery is tried again.
	LeaseUntil int64
	CreatedAt  int64
}

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // waiting for an attempt
	DeliveryDelivered DeliveryState = "delivered" // a 2xx answer came back
	DeliveryFailed    DeliveryState = "failed"    // given up on
)

// HookAttempt records one delivery attempt: Logto's hook log entry.
type HookAttempt struct {
	ID         string
	HookID     string
	DeliveryID string
	Event      string
	Attempt    int // 1 for the first attempt of a delivery
	Success    bool
	// StatusCode is the response status, 0 when no response came back.
	StatusCode int
	Error      string
	DurationMs int64
	// ResponseBody is the start of the response body (the caller truncates).
	ResponseBody string
	CreatedAt    int64
	// Request is the posted body, the delivery's payload. ListHookAttempts
	// fills it in; the other methods ignore it.
	Request json.RawMessage
}

// HookAttemptFilter selects attempts for ListHookAttempts. Zero fields do
// not filter; Since and Until are inclusive bounds on CreatedAt.
type HookAttemptFilter struct {
	Event        string
	Since, Until int64
}

// HookStats counts a hook's attempts (Logto's executionStats).
type HookStats struct {
	RequestCount int
	SuccessCount int
}

// Hooks stores webhooks, their outbox of pending deliveries and the record
// of delivery attempts.
type Hooks interface {
	// CreateHook adds h, filling in ID and CreatedAt when they are zero; a
	// duplicate id is a *ConflictError on "id".
	CreateHook(ctx context.Context, h *Hook) error
	GetHook(ctx context.Context, id string) (*Hook, error)
	// ListHooks returns hooks in creation order (then id) and their total.
	ListHooks(ctx context.Context, page Page) ([]Hook, int, error)
	// UpdateHook replaces every field of hook h.ID but CreatedAt.
	UpdateHook(ctx context.Context, h *Hook) error
	// DeleteHook removes a hook with its deliveries and attempts.
	DeleteHook(ctx context.Context, id string) error

	// EnqueueHookEvents adds pending deliveries, filling in ID, CreatedAt
	// and NextAttemptAt (= CreatedAt) when zero. Callers run it in the
	// transaction that makes the change the events describe, so that an
	// event is stored exactly when its change is.
	EnqueueHookEvents(ctx context.Context, deliveries []HookDelivery) error
	// ClaimDueDeliveries leases up to limit pending deliveries that are due
	// at now and not leased at now, oldest due first, until leaseUntil.
	// Concurrent claimers, in this process or another, never get the same
	// delivery while its lease holds.
	ClaimDueDeliveries(ctx context.Context, now int64, limit int, leaseUntil int64) ([]HookDelivery, error)
	// CompleteDelivery marks a delivery delivered and records attempt (when
	// not nil) in the same transaction.
	CompleteDelivery(ctx context.Context, id string, attempt *HookAttempt) error
	// FailDelivery records attempt (when not nil) and schedules the next
	// one at nextAttemptAt, releasing the lease; a nextAttemptAt of 0 or
	// less gives up on the delivery (state failed).
	FailDelivery(ctx context.Context, id string, attempt *HookAttempt, nextAttemptAt int64) error
	// ListHookAttempts returns a hook's attempts, newest first (then by id
	// descending), with their total before paging.
	ListHookAttempts(ctx context.Context, hookID string, f HookAttemptFilter, page Page) ([]HookAttempt, int, error)
	// HookStats counts every hook's attempts made at or after since; hooks
	// without attempts are absent from the map.
	HookStats(ctx context.Context, since int64) (map[string]HookStats, error)
	// PruneHookDeliveries deletes finished (delivered or failed) deliveries
	// created before before, with their attempts, and returns how many
	// deliveries went.
	PruneHookDeliveries(ctx context.Context, before int64) (int, error)
}

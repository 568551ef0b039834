package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const hookColumns = `id, name, event, events, config, signing_key, enabled, created_at`

func scanHook(sc scanner) (store.Hook, error) {
	var h store.Hook
	var events, config string
	if err := sc.Scan(&h.ID, &h.Name, &h.Event, &events, &config, &h.SealedSigningKey, &h.Enabled, &h.CreatedAt); err != nil {
		return h, err
	}
	if err := json.Unmarshal([]byte(events), &h.Events); err != nil {
		return h, fmt.Errorf("hook %s: decode events: %w", h.ID, err)
	}
	if h.Events == nil {
		h.Events = []string{}
	}
	if err := json.Unmarshal([]byte(config), &h.Config); err != nil {
		return h, fmt.Errorf("hook %s: decode config: %w", h.ID, err)
	}
	return h, nil
}

// hookText encodes the JSON columns of h.
func hookText(h *store.Hook) (events, config string, err error) {
	list := h.Events
	if list == nil {
		list = []string{}
	}
	e, err := json.Marshal(list)
	if err != nil {
		return "", "", fmt.Errorf("encode events: %w", err)
	}
	c, err := json.Marshal(h.Config)
	if err != nil {
		return "", "", fmt.Errorf("encode config: %w", err)
	}
	return string(e), string(c), nil
}

// CreateHook inserts h, filling in ID (21 characters) and CreatedAt when
// they are zero.
func (s *Store) CreateHook(ctx context.Context, h *store.Hook) error {
	if h.ID == "" {
		h.ID = id.New(id.RecordLength)
	}
	if h.CreatedAt == 0 {
		h.CreatedAt = nowMillis()
	}
	events, config, err := hookText(h)
	if err != nil {
		return fmt.Errorf("create hook: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO hooks (`+hookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		h.ID, h.Name, h.Event, events, config, h.SealedSigningKey, h.Enabled, h.CreatedAt)
	if err != nil {
		err = s.mapErr(err)
		if store.IsConflict(err) {
			err = &store.ConflictError{Field: "id"}
		}
		return fmt.Errorf("create hook: %w", err)
	}
	return nil
}

// GetHook returns the hook with the given id.
func (s *Store) GetHook(ctx context.Context, hookID string) (*store.Hook, error) {
	h, err := scanHook(s.q.QueryRowContext(ctx, `SELECT `+hookColumns+` FROM hooks WHERE id = $1`, hookID))
	if err != nil {
		return nil, fmt.Errorf("get hook %s: %w", hookID, s.mapErr(err))
	}
	return &h, nil
}

// ListHooks returns hooks in creation order and their total.
func (s *Store) ListHooks(ctx context.Context, page store.Page) ([]store.Hook, int, error) {
	list, total, err := listPage(ctx, s, "hooks", hookColumns, "", nil, page, scanHook)
	if err != nil {
		return nil, 0, fmt.Errorf("list hooks: %w", err)
	}
	return list, total, nil
}

// UpdateHook replaces the mutable fields of hook h.ID.
func (s *Store) UpdateHook(ctx context.Context, h *store.Hook) error {
	events, config, err := hookText(h)
	if err != nil {
		return fmt.Errorf("update hook %s: %w", h.ID, err)
	}
	err = s.expectOne(s.q.ExecContext(ctx, `UPDATE hooks SET name = $2, event = $3, events = $4, config = $5, signing_key = $6, enabled = $7
		WHERE id = $1`, h.ID, h.Name, h.Event, events, config, h.SealedSigningKey, h.Enabled))
	if err != nil {
		return fmt.Errorf("update hook %s: %w", h.ID, err)
	}
	return nil
}

// DeleteHook removes a hook; its deliveries and attempts go with it (ON
// DELETE CASCADE).
func (s *Store) DeleteHook(ctx context.Context, hookID string) error {
	if err := s.expectOne(s.q.ExecContext(ctx, `DELETE FROM hooks WHERE id = $1`, hookID)); err != nil {
		return fmt.Errorf("delete hook %s: %w", hookID, err)
	}
	return nil
}

const deliveryColumns = `id, hook_id, event, payload, state, attempts, next_attempt_at, lease_until, created_at`

func scanDelivery(sc scanner) (store.HookDelivery, error) {
	var d store.HookDelivery
	var payload, state string
	err := sc.Scan(&d.ID, &d.HookID, &d.Event, &payload, &state, &d.Attempts, &d.NextAttemptAt, &d.LeaseUntil, &d.CreatedAt)
	d.Payload, d.State = json.RawMessage(payload), store.DeliveryState(state)
	return d, err
}

// EnqueueHookEvents inserts pending deliveries.
func (s *Store) EnqueueHookEvents(ctx context.Context, deliveries []store.HookDelivery) error {
	for i := range deliveries {
		d := &deliveries[i]
		if d.ID == "" {
			d.ID = id.New(id.RecordLength)
		}
		if d.CreatedAt == 0 {
			d.CreatedAt = nowMillis()
		}
		if d.NextAttemptAt == 0 {
			d.NextAttemptAt = d.CreatedAt
		}
		if !json.Valid(d.Payload) {
			return fmt.Errorf("enqueue hook event %s: payload is not JSON", d.Event)
		}
		d.State, d.Attempts, d.LeaseUntil = store.DeliveryPending, 0, 0
		_, err := s.q.ExecContext(ctx, `INSERT INTO hook_deliveries (`+deliveryColumns+`) VALUES ($1, $2, $3, $4, $5, 0, $6, 0, $7)`,
			d.ID, d.HookID, d.Event, string(d.Payload), string(store.DeliveryPending), d.NextAttemptAt, d.CreatedAt)
		if err != nil {
			return fmt.Errorf("enqueue hook event %s for hook %s: %w", d.Event, d.HookID, s.mapErr(err))
		}
	}
	return nil
}

// ClaimDueDeliveries leases due deliveries. On PostgreSQL the candidate
// rows are locked with FOR UPDATE SKIP LOCKED, so concurrent claimers in
// other processes pass over each other's rows instead of waiting for them
// or taking them twice; a claimer that finds a row updated by one that
// committed meanwhile re-checks it and sees the new lease. SQLite has a
// single writer, which serialises claimers anyway.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now int64, limit int, leaseUntil int64) ([]store.HookDelivery, error) {
	if limit <= 0 {
		return []store.HookDelivery{}, nil
	}
	// Most polls find nothing: look before taking a write transaction
	// (on SQLite, the database's one write lock).
	if s.tx == nil {
		var one int
		err := s.q.QueryRowContext(ctx, `SELECT 1 FROM hook_deliveries
			WHERE state = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 LIMIT 1`, now).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return []store.HookDelivery{}, nil
		} else if err != nil {
			return nil, fmt.Errorf("claim hook deliveries: %w", s.mapErr(err))
		}
	}
	lock := ""
	if s.dialect.name == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var claimed []store.HookDelivery
	err := s.inTx(ctx, func(tx *Store) error {
		var err error
		claimed, err = queryAll(ctx, tx, `UPDATE hook_deliveries SET lease_until = $3
			WHERE id IN (SELECT id FROM hook_deliveries
				WHERE state = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1
				ORDER BY next_attempt_at, id LIMIT $2`+lock+`)
			RETURNING `+deliveryColumns, []any{now, limit, leaseUntil}, scanDelivery)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim hook deliveries: %w", err)
	}
	sort.Slice(claimed, func(i, j int) bool {
		if claimed[i].NextAttemptAt != claimed[j].NextAttemptAt {
			return claimed[i].NextAttemptAt < claimed[j].NextAttemptAt
		}
		return claimed[i].ID < claimed[j].ID
	})
	return claimed, nil
}

// CompleteDelivery marks a delivery delivered and records its last attempt.
func (s *Store) CompleteDelivery(ctx context.Context, deliveryID string, attempt *store.HookAttempt) error {
	return s.finishAttempt(ctx, deliveryID, attempt, store.DeliveryDelivered, 0)
}

// FailDelivery records a failed attempt and schedules the next one, or
// gives up when nextAttemptAt <= 0.
func (s *Store) FailDelivery(ctx context.Context, deliveryID string, attempt *store.HookAttempt, nextAttemptAt int64) error {
	state := store.DeliveryPending
	if nextAttemptAt <= 0 {
		state, nextAttemptAt = store.DeliveryFailed, 0
	}
	return s.finishAttempt(ctx, deliveryID, attempt, state, nextAttemptAt)
}

func (s *Store) finishAttempt(ctx context.Context, deliveryID string, attempt *store.HookAttempt, state store.DeliveryState, next int64) error {
	err := s.inTx(ctx, func(tx *Store) error {
		counted := 0
		if attempt != nil {
			counted = 1
		}
		// A delivered or failed delivery keeps its last due time.
		err := tx.expectOne(tx.q.ExecContext(ctx, `UPDATE hook_deliveries
			SET state = $2, attempts = attempts + $3, lease_until = 0,
				next_attempt_at = CASE WHEN $2 = 'pending' THEN $4 ELSE next_attempt_at END
			WHERE id = $1`, deliveryID, string(state), counted, next))
		if err != nil || attempt == nil {
			return err
		}
		return tx.insertAttempt(ctx, deliveryID, attempt)
	})
	if err != nil {
		return fmt.Errorf("record hook delivery %s: %w", deliveryID, err)
	}
	return nil
}

const attemptColumns = `id, hook_id, delivery_id, event, attempt, success, status_code, error, duration_ms, response_body, created_at`

func (s *Store) insertAttempt(ctx context.Context, deliveryID string, a *store.HookAttempt) error {
	if a.ID == "" {
		a.ID = id.New(id.RecordLength)
	}
	if a.CreatedAt == 0 {
		a.CreatedAt = nowMillis()
	}
	a.DeliveryID = deliveryID
	// The hook and the event are the delivery's, whatever the caller said.
	err := s.q.QueryRowContext(ctx, `SELECT hook_id, event FROM hook_deliveries WHERE id = $1`, deliveryID).Scan(&a.HookID, &a.Event)
	if err != nil {
		return s.mapErr(err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO hook_attempts (`+attemptColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.HookID, a.DeliveryID, a.Event, a.Attempt, a.Success, a.StatusCode, a.Error, a.DurationMs, a.ResponseBody, a.CreatedAt)
	return s.mapErr(err)
}

// ListHookAttempts returns a hook's attempts, newest first, with the
// payloads they posted.
func (s *Store) ListHookAttempts(ctx context.Context, hookID string, f store.HookAttemptFilter, page store.Page) ([]store.HookAttempt, int, error) {
	var a args
	where := "a.hook_id = " + a.add(hookID)
	if f.Event != "" {
		where += " AND a.event = " + a.add(f.Event)
	}
	if f.Since != 0 {
		where += " AND a.created_at >= " + a.add(f.Since)
	}
	if f.Until != 0 {
		where += " AND a.created_at <= " + a.add(f.Until)
	}
	from := " FROM hook_attempts a JOIN hook_deliveries d ON d.id = a.delivery_id WHERE " + where
	var total int
	if err := s.q.QueryRowContext(ctx, "SELECT COUNT(*)"+from, a...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list hook attempts: %w", s.mapErr(err))
	}
	query := `SELECT a.id, a.hook_id, a.delivery_id, a.event, a.attempt, a.success, a.status_code, a.error, a.duration_ms,
		a.response_body, a.created_at, d.payload` + from + " ORDER BY a.created_at DESC, a.id DESC"
	if limit, offset, paged := window(page); paged {
		if offset >= total {
			return []store.HookAttempt{}, total, nil
		}
		query += " LIMIT " + a.add(limit) + " OFFSET " + a.add(offset)
	}
	list, err := queryAll(ctx, s, query, a, func(sc scanner) (store.HookAttempt, error) {
		var h store.HookAttempt
		var payload string
		err := sc.Scan(&h.ID, &h.HookID, &h.DeliveryID, &h.Event, &h.Attempt, &h.Success, &h.StatusCode, &h.Error,
			&h.DurationMs, &h.ResponseBody, &h.CreatedAt, &payload)
		h.Request = json.RawMessage(payload)
		return h, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list hook attempts: %w", err)
	}
	return list, total, nil
}

// HookStats counts attempts per hook since a time.
func (s *Store) HookStats(ctx context.Context, since int64) (map[string]store.HookStats, error) {
	type row struct {
		hookID string
		stats  store.HookStats
	}
	rows, err := queryAll(ctx, s, `SELECT hook_id, COUNT(*), COALESCE(SUM(CASE WHEN success THEN 1 ELSE 0 END), 0)
		FROM hook_attempts WHERE created_at >= $1 GROUP BY hook_id`, []any{since}, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.hookID, &r.stats.RequestCount, &r.stats.SuccessCount)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("hook stats: %w", err)
	}
	out := make(map[string]store.HookStats, len(rows))
	for _, r := range rows {
		out[r.hookID] = r.stats
	}
	return out, nil
}

// PruneHookDeliveries deletes old finished deliveries and their attempts.
func (s *Store) PruneHookDeliveries(ctx context.Context, before int64) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM hook_deliveries WHERE state <> 'pending' AND created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune hook deliveries: %w", s.mapErr(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

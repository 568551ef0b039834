package store

import (
	"context"
	"encoding/json"
)

// LogEntry is one row of the audit log: Logto's log record. Payload is the
// whole JSON payload the Management API returns (it repeats Key and
// Result); Result, UserID and ApplicationID are copies of its fields that
// the store filters on. The writer (internal/audit) keeps them in step.
type LogEntry struct {
	ID            string // 21 characters, as Logto's
	Key           string // Logto's log key, e.g. "ExchangeTokenBy.RefreshToken"
	Result        string // "Success" or "Error"
	UserID        string // "" when the entry concerns no user
	ApplicationID string // "" when the entry concerns no application
	Payload       json.RawMessage
	CreatedAt     int64
}

// LogFilter selects entries for ListLogs. Zero fields do not filter.
type LogFilter struct {
	// Key matches the key exactly.
	Key string
	// KeyPrefixes, when not empty, keeps entries whose key starts with
	// any of them (Logto lists only its audit keys this way).
	KeyPrefixes []string
	UserID      string
	// ApplicationID matches the entry's application.
	ApplicationID string
	// Since and Until are inclusive bounds on CreatedAt.
	Since, Until int64
	// CountCap, when positive, stops counting at CountCap matches: the
	// total ListLogs returns is then at most CountCap. Counting millions of
	// entries is slow; Logto's enableCap does the same.
	CountCap int
}

// Logs stores the audit log and answers the dashboard's counts.
type Logs interface {
	// InsertLogs adds entries in one transaction, filling in ID and
	// CreatedAt when they are zero. Payloads must be JSON objects.
	InsertLogs(ctx context.Context, entries []LogEntry) error
	GetLog(ctx context.Context, id string) (*LogEntry, error)
	// ListLogs returns matching entries newest first (then by id
	// descending) and their total before paging (capped by f.CountCap).
	ListLogs(ctx context.Context, f LogFilter, page Page) ([]LogEntry, int, error)
	// DeleteLogsBefore deletes entries created before before (Unix ms), in
	// batches so that no transaction grows large, and returns how many.
	DeleteLogsBefore(ctx context.Context, before int64) (int, error)

	// CountUsers counts every user.
	CountUsers(ctx context.Context) (int, error)
	// CountNewUsers counts users created in each window
	// [bounds[i], bounds[i+1]); bounds ascend, and the result has
	// len(bounds)-1 counts.
	CountNewUsers(ctx context.Context, bounds []int64) ([]int, error)
	// CountActiveUsers counts, in each window [bounds[i], bounds[i+1]),
	// the distinct users of successful entries whose key starts with one
	// of keyPrefixes.
	CountActiveUsers(ctx context.Context, keyPrefixes []string, bounds []int64) ([]int, error)
}

package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/id"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

const logColumns = `id, log_key, result, user_id, application_id, payload, created_at`

// logInsertRows is how many entries one INSERT statement carries on
// PostgreSQL: 7 parameters each, far below its limit.
const logInsertRows = 250

// logDeleteBatch is how many entries one retention DELETE removes, so that
// the sweep never holds SQLite's write lock for long.
const logDeleteBatch = 5000

func scanLog(sc scanner) (store.LogEntry, error) {
	var e store.LogEntry
	var payload string
	err := sc.Scan(&e.ID, &e.Key, &e.Result, &e.UserID, &e.ApplicationID, &payload, &e.CreatedAt)
	e.Payload = objectValue(payload)
	return e, err
}

// InsertLogs inserts entries in one transaction, several rows per statement.
func (s *Store) InsertLogs(ctx context.Context, entries []store.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	now := nowMillis()
	for i := range entries {
		e := &entries[i]
		if e.ID == "" {
			e.ID = id.New(id.RecordLength)
		}
		if e.CreatedAt == 0 {
			e.CreatedAt = now
		}
		if !json.Valid(e.Payload) {
			return fmt.Errorf("insert logs: the payload of %s is not JSON", e.Key)
		}
	}
	err := s.inTx(ctx, func(tx *Store) error {
		if tx.dialect.name == "sqlite" {
			return tx.insertLogsPrepared(ctx, entries)
		}
		for start := 0; start < len(entries); start += logInsertRows {
			chunk := entries[start:min(start+logInsertRows, len(entries))]
			var b strings.Builder
			b.WriteString(`INSERT INTO logs (` + logColumns + `) VALUES `)
			a := make(args, 0, 7*len(chunk))
			for i, e := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + a.add(e.ID) + ", " + a.add(e.Key) + ", " + a.add(e.Result) + ", " + a.add(e.UserID) + ", " +
					a.add(e.ApplicationID) + ", " + a.add(string(e.Payload)) + ", " + a.add(e.CreatedAt) + ")")
			}
			if _, err := tx.q.ExecContext(ctx, b.String(), a...); err != nil {
				return tx.mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert %d logs: %w", len(entries), err)
	}
	return nil
}

// insertLogsPrepared inserts one row per execution of one prepared
// statement, which is SQLite's fastest way: SQLite looks $N parameters up
// by name, so a statement of many rows costs time quadratic in its
// parameters to prepare and bind.
func (s *Store) insertLogsPrepared(ctx context.Context, entries []store.LogEntry) error {
	stmt, err := s.tx.PrepareContext(ctx, `INSERT INTO logs (`+logColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		return s.mapErr(err)
	}
	defer stmt.Close()
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.ID, e.Key, e.Result, e.UserID, e.ApplicationID, string(e.Payload), e.CreatedAt); err != nil {
			return s.mapErr(err)
		}
	}
	return nil
}

// GetLog returns the entry with the given id.
func (s *Store) GetLog(ctx context.Context, logID string) (*store.LogEntry, error) {
	e, err := scanLog(s.q.QueryRowContext(ctx, `SELECT `+logColumns+` FROM logs WHERE id = $1`, logID))
	if err != nil {
		return nil, fmt.Errorf("get log %s: %w", logID, s.mapErr(err))
	}
	return &e, nil
}

// keyPrefixes returns a condition that holds when log_key starts with one
// of prefixes. Each prefix is a range in code point order, which the key
// index serves (in the "C" collation on PostgreSQL). Without useIndex the
// condition keeps SQLite off the key index: the prefixes of a list match
// most entries, and walking the creation time index newest first stops
// after one page, where collecting every match of each range and sorting
// them does not.
func (s *Store) keyPrefixes(a *args, prefixes []string, useIndex bool) string {
	expr := "log_key" + s.dialect.bytewise
	if !useIndex && s.dialect.name == "sqlite" {
		expr = "+log_key" // an expression, which no index serves
	}
	conds := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		if p == "" {
			return "TRUE"
		}
		cond := expr + " >= " + a.add(p)
		if upper := successor(p); upper != "" {
			cond += " AND " + expr + " < " + a.add(upper)
		}
		conds = append(conds, "("+cond+")")
	}
	if len(conds) == 0 {
		return "FALSE"
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

func (s *Store) logWhere(a *args, f store.LogFilter) string {
	var conds []string
	if f.Key != "" {
		conds = append(conds, "log_key = "+a.add(f.Key))
	}
	if len(f.KeyPrefixes) > 0 {
		conds = append(conds, s.keyPrefixes(a, f.KeyPrefixes, false))
	}
	if f.UserID != "" {
		// The second term lets SQLite use the partial user index.
		conds = append(conds, "user_id = "+a.add(f.UserID)+" AND user_id <> ''")
	}
	if f.ApplicationID != "" {
		conds = append(conds, "application_id = "+a.add(f.ApplicationID))
	}
	if f.Since != 0 {
		conds = append(conds, "created_at >= "+a.add(f.Since))
	}
	if f.Until != 0 {
		conds = append(conds, "created_at <= "+a.add(f.Until))
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// ListLogs returns matching entries newest first with their (possibly
// capped) total.
func (s *Store) ListLogs(ctx context.Context, f store.LogFilter, page store.Page) ([]store.LogEntry, int, error) {
	var a args
	where := s.logWhere(&a, f)
	countQuery := "SELECT COUNT(*) FROM logs" + where
	if f.CountCap > 0 {
		countQuery = "SELECT COUNT(*) FROM (SELECT 1 FROM logs" + where + " LIMIT " + strconv.Itoa(f.CountCap) + ") capped"
	}
	var total int
	if err := s.q.QueryRowContext(ctx, countQuery, a...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list logs: %w", s.mapErr(err))
	}
	query := "SELECT " + logColumns + " FROM logs" + where + " ORDER BY created_at DESC, id DESC"
	if limit, offset, paged := window(page); paged {
		if offset >= total && (f.CountCap <= 0 || total < f.CountCap) {
			return []store.LogEntry{}, total, nil
		}
		query += " LIMIT " + a.add(limit) + " OFFSET " + a.add(offset)
	}
	list, err := queryAll(ctx, s, query, a, scanLog)
	if err != nil {
		return nil, 0, fmt.Errorf("list logs: %w", err)
	}
	return list, total, nil
}

// DeleteLogsBefore deletes old entries a batch at a time.
func (s *Store) DeleteLogsBefore(ctx context.Context, before int64) (int, error) {
	deleted := 0
	for {
		res, err := s.q.ExecContext(ctx, `DELETE FROM logs WHERE id IN
			(SELECT id FROM logs WHERE created_at < $1 ORDER BY created_at LIMIT `+strconv.Itoa(logDeleteBatch)+`)`, before)
		if err != nil {
			return deleted, fmt.Errorf("delete logs: %w", s.mapErr(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return deleted, fmt.Errorf("delete logs: %w", err)
		}
		deleted += int(n)
		if n < logDeleteBatch {
			return deleted, nil
		}
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
	}
}

// CountUsers counts every user.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", s.mapErr(err))
	}
	return n, nil
}

var errBounds = errors.New("window bounds must ascend")

// bucketed counts, per window [bounds[i], bounds[i+1]), what aggregate
// says over column of the rows of table that match where (arguments in
// a). The
// window of a row is computed in SQL, so one query serves every window.
func (s *Store) bucketed(ctx context.Context, table, column, aggregate, where string, a args, bounds []int64) ([]int, error) {
	if len(bounds) < 2 {
		return []int{}, nil
	}
	for i := 1; i < len(bounds); i++ {
		if bounds[i] < bounds[i-1] {
			return nil, errBounds
		}
	}
	bucket := "0"
	if len(bounds) > 2 {
		var b strings.Builder
		b.WriteString("CASE")
		for i := 1; i < len(bounds)-1; i++ {
			b.WriteString(" WHEN created_at < " + a.add(bounds[i]) + " THEN " + strconv.Itoa(i-1))
		}
		b.WriteString(" ELSE " + strconv.Itoa(len(bounds)-2) + " END")
		bucket = b.String()
	}
	cond := "created_at >= " + a.add(bounds[0]) + " AND created_at < " + a.add(bounds[len(bounds)-1])
	if where != "" {
		cond += " AND " + where
	}
	query := "SELECT bucket, " + aggregate + " FROM (SELECT " + bucket + " AS bucket, " + column + " FROM " + table +
		" WHERE " + cond + ") windows GROUP BY bucket"
	type row struct{ bucket, count int }
	rows, err := queryAll(ctx, s, query, a, func(sc scanner) (row, error) {
		var r row
		err := sc.Scan(&r.bucket, &r.count)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(bounds)-1)
	for _, r := range rows {
		if r.bucket >= 0 && r.bucket < len(counts) {
			counts[r.bucket] = r.count
		}
	}
	return counts, nil
}

// CountNewUsers counts users created in each window.
func (s *Store) CountNewUsers(ctx context.Context, bounds []int64) ([]int, error) {
	counts, err := s.bucketed(ctx, "users", "id", "COUNT(*)", "", nil, bounds)
	if err != nil {
		return nil, fmt.Errorf("count new users: %w", err)
	}
	return counts, nil
}

// CountActiveUsers counts the distinct users of successful entries with
// the given key prefixes in each window.
func (s *Store) CountActiveUsers(ctx context.Context, keyPrefixes []string, bounds []int64) ([]int, error) {
	var a args
	where := "result = 'Success' AND user_id <> '' AND " + s.keyPrefixes(&a, keyPrefixes, true)
	counts, err := s.bucketed(ctx, "logs", "user_id", "COUNT(DISTINCT user_id)", where, a, bounds)
	if err != nil {
		return nil, fmt.Errorf("count active users: %w", err)
	}
	return counts, nil
}

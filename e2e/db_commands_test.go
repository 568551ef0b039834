package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

// TestDBBackupAndCopy runs the production data commands with the built
// binary: a backup of a SQLite database that a server is using, then a
// move of that database to PostgreSQL, where a new server signs the copied
// user in and issues tokens to the copied applications with their secrets.
func TestDBBackupAndCopy(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "gatehouse.db")
	const encKey = "q3m0Jc0hQ0rZ9Yb6nS2lWmQ5tX8uV1aB4cD7eF0gH2I="
	sqliteEnv := []string{"DB_URL=sqlite:" + dbPath, "ENCRYPTION_KEY=" + encKey}

	if _, stderr, code := cli(t, sqliteEnv, "", "db", "migrate"); code != 0 {
		t.Fatalf("db migrate: exit %d, %s", code, stderr)
	}
	out, stderr, code := cli(t, sqliteEnv, "", "app", "create", "--type", "MachineToMachine", "--name", "ops", "--role", "Logto Management API access")
	if code != 0 {
		t.Fatalf("app create: exit %d, %s", code, stderr)
	}
	var m2m struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(out), &m2m); err != nil || m2m.Secret == "" {
		t.Fatalf("app create printed %q (%v)", out, err)
	}
	out, stderr, code = cli(t, sqliteEnv, "", "app", "create", "--type", "Traditional", "--name", "web", "--redirect-uri", redirectURI)
	if code != 0 {
		t.Fatalf("app create: exit %d, %s", code, stderr)
	}
	var web struct{ ID, Secret string }
	json.Unmarshal([]byte(out), &web)
	const password = "Moving-Day-2026!"
	out, stderr, code = cli(t, sqliteEnv, password+"\n", "user", "create", "--username", "mover", "--email", "mover@example.com", "--password-stdin")
	if code != 0 {
		t.Fatalf("user create: exit %d, %s", code, stderr)
	}
	var user struct{ ID string }
	json.Unmarshal([]byte(out), &user)

	// A server runs on the file while it is backed up.
	base := serveProcess(t, sqliteEnv)
	if res := tokenRequest(t, base+"/oidc", m2m.ID, m2m.Secret, url.Values{"grant_type": {"client_credentials"},
		"resource": {"https://default.logto.app/api"}, "scope": {"all"}}); res.status != 200 {
		t.Fatalf("token from the SQLite server: %d %s", res.status, res.raw)
	}
	sqliteKids := jwksKids(t, base+"/oidc")
	sort.Strings(sqliteKids)

	backup := filepath.Join(dir, "backups", "gatehouse-backup.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = cli(t, sqliteEnv, "", "db", "backup", backup)
	if code != 0 {
		t.Fatalf("db backup while serving: exit %d, %s", code, stderr)
	}
	var summary struct {
		File          string
		Bytes         int64
		SchemaVersion int
	}
	if err := json.Unmarshal([]byte(out), &summary); err != nil || summary.File != backup || summary.Bytes <= 0 || summary.SchemaVersion < 9 {
		t.Fatalf("db backup printed %q (%v)", out, err)
	}
	// The backup is a complete database on its own.
	b, err := sqlstore.Open(context.Background(), "sqlite:"+backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckSchema(t.Context()); err != nil {
		t.Fatalf("backup schema: %v", err)
	}
	if u, err := b.FindUserByIdentifier(t.Context(), store.ByEmail, "mover@example.com"); err != nil || u.ID != user.ID {
		t.Fatalf("user in the backup: %+v, %v", u, err)
	}
	if a, err := b.GetApplication(t.Context(), m2m.ID); err != nil || a.Name != "ops" {
		t.Fatalf("application in the backup: %+v, %v", a, err)
	}
	b.Close()
	// Never over an existing file; a PostgreSQL DB_URL points at pg_dump.
	for _, c := range []struct {
		env  []string
		args []string
		want string
	}{
		{sqliteEnv, []string{"db", "backup", backup}, "already exists"},
		{[]string{"DB_URL=postgres://gatehouse:s3cret@127.0.0.1:1/gatehouse"}, []string{"db", "backup", filepath.Join(dir, "pg.db")}, "pg_dump"},
		{[]string{"DB_URL=sqlite:" + filepath.Join(dir, "missing.db")}, []string{"db", "backup", filepath.Join(dir, "m.db")}, "does not exist"},
	} {
		out, stderr, code := cli(t, c.env, "", c.args...)
		if code != 1 || out != "" || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || strings.Contains(stderr, "s3cret") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line saying %q", c.args, code, out, stderr, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("db backup of a missing SQLite file created it")
	}

	// Move to PostgreSQL.
	pgURL := sqltestPostgresDSN(t)
	out, stderr, code = cli(t, sqliteEnv, "", "db", "copy", "--to", pgURL)
	if code != 0 {
		t.Fatalf("db copy: exit %d, %s", code, stderr)
	}
	var counts map[string]int64
	if err := json.Unmarshal([]byte(out), &counts); err != nil {
		t.Fatalf("db copy printed %q: %v", out, err)
	}
	if counts["users"] != 1 || counts["applications"] != 2 || counts["signing_keys"] < 2 || counts["resources"] < 1 {
		t.Fatalf("db copy summary %v", counts)
	}
	if _, ok := counts["schema_migrations"]; ok {
		t.Errorf("db copy summary lists schema_migrations: %v", counts)
	}
	if u, _ := url.Parse(pgURL); u.User != nil {
		if pw, set := u.User.Password(); set && strings.Contains(stderr, pw) {
			t.Errorf("db copy printed the target's password: %s", stderr)
		}
	}
	// A second copy is refused: the target has data now.
	if out, stderr, code := cli(t, sqliteEnv, "", "db", "copy", "--to", pgURL); code != 1 || out != "" || !strings.Contains(stderr, "not empty") {
		t.Errorf("second db copy: exit %d, stdout %q, stderr %q", code, out, stderr)
	}

	// Serve from PostgreSQL with the same key: the copied secrets, keys and
	// password work there.
	port := freePort(t)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	pgBase := serveProcess(t, []string{"DB_URL=" + pgURL, "ENCRYPTION_KEY=" + encKey, fmt.Sprintf("PORT=%d", port), "ENDPOINT=" + endpoint})
	if res := tokenRequest(t, pgBase+"/oidc", m2m.ID, m2m.Secret, url.Values{"grant_type": {"client_credentials"},
		"resource": {"https://default.logto.app/api"}, "scope": {"all"}}); res.status != 200 || res.Scope != "all" {
		t.Fatalf("client_credentials with the copied secret on PostgreSQL: %d %s", res.status, res.raw)
	}
	kids := jwksKids(t, pgBase+"/oidc")
	sort.Strings(kids)
	if len(kids) < 2 || !reflect.DeepEqual(kids, sqliteKids) {
		t.Errorf("PostgreSQL server publishes keys %v, the SQLite one %v", kids, sqliteKids)
	}
	verifier, challenge := pkce("db-copy-")
	br := newBrowser(redirectURI)
	loc := br.signIn(t, authURL(endpoint+"/oidc", web.ID, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}), "mover@example.com", password)
	res := tokenRequest(t, endpoint+"/oidc", web.ID, web.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}})
	if res.status != 200 || res.IDToken == "" {
		t.Fatalf("code exchange on PostgreSQL: %d %s", res.status, res.raw)
	}
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, endpoint+"/oidc")
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := provider.Verifier(&gooidc.Config{ClientID: web.ID}).Verify(ctx, res.IDToken)
	if err != nil || idToken.Subject != user.ID {
		t.Fatalf("ID token from PostgreSQL: %v, subject %v, want %s", err, idToken, user.ID)
	}
}

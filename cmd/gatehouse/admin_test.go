package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

// runWithStdin runs the CLI with input as standard input.
func runWithStdin(t *testing.T, input string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminCreate(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "gatehouse.db")
	const pw = "a long admin password"

	code, out, errOut := runWithStdin(t, pw+"\n", "admin", "create", "--db-url", db, "--username", "Root")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var created struct {
		ID        string `json:"id"`
		Username  string `json:"username"`
		CreatedAt int64  `json:"createdAt"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || len(created.ID) != 21 || created.Username != "Root" || created.CreatedAt == 0 {
		t.Fatalf("stdout %q: %+v %v", out, created, err)
	}
	if strings.Contains(out+errOut, pw) {
		t.Fatal("the password was printed")
	}

	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.GetAdministratorByUsername(context.Background(), "root")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := password.Verify(pw, a.PasswordHash, password.Argon2id); !ok || err != nil {
		t.Fatalf("the stored hash does not verify the password: %v %v", ok, err)
	}

	// A password file works too; the same username in another case is taken.
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runWithStdin(t, "", "admin", "create", "--db-url", db, "--username", "ROOT", "--password-file", file)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate username: exit %d, %q", code, errOut)
	}
	code, out, errOut = runWithStdin(t, "", "admin", "create", "--db-url", db, "--username", "second", "--password-file", file)
	if code != 0 || !strings.Contains(out, `"username": "second"`) {
		t.Fatalf("second administrator: exit %d, %q %q", code, out, errOut)
	}

	for _, tc := range []struct {
		input string
		args  []string
		code  int
		want  string
	}{
		{"short\n", []string{"--username", "x"}, 1, "at least 12"},
		{"", []string{"--username", "x"}, 1, "held no password"},
		{pw, nil, 2, "--username is required"},
		{pw, []string{"--username", "x", "--password", pw}, 2, "flag provided but not defined"},
	} {
		args := append([]string{"admin", "create", "--db-url", db}, tc.args...)
		code, out, errOut := runWithStdin(t, tc.input, args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
	if n, _ := st.CountAdministrators(context.Background()); n != 2 {
		t.Fatalf("%d administrators, want 2", n)
	}
}

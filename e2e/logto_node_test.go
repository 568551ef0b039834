package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// jsDir is the Node project with Logto's SDKs pinned in its package-lock.json.
const jsDir = "js"

var (
	npmOnce sync.Once
	npmErr  error
)

// npmInstall runs `npm ci` in e2e/js once per test binary, when
// node_modules is missing or older than package-lock.json.
func npmInstall(t *testing.T) {
	t.Helper()
	npmOnce.Do(func() { npmErr = npmCI() })
	if npmErr != nil {
		t.Fatal(npmErr)
	}
}

func npmCI() error {
	lock, err := os.Stat(filepath.Join(jsDir, "package-lock.json"))
	if err != nil {
		return err
	}
	// npm writes node_modules/.package-lock.json at the end of an install.
	if installed, err := os.Stat(filepath.Join(jsDir, "node_modules", ".package-lock.json")); err == nil && !installed.ModTime().Before(lock.ModTime()) {
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return errors.New("npm is not installed: TestLogtoNodeSDK needs Node.js 20+ and npm to run Logto's npm SDKs against Gatehouse")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--prefer-offline")
	cmd.Dir = jsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return errors.New("npm ci in e2e/js failed: " + err.Error() + "\n" + string(out))
	}
	return nil
}

// TestLogtoNodeSDK runs e2e/js/logto-node.test.mjs, which signs in with
// @logto/node's LogtoClient (a Traditional web app, as @logto/next does),
// takes API access tokens, fetches userinfo and signs out, and gets a
// Management API token the way @logto/api does.
func TestLogtoNodeSDK(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: TestLogtoNodeSDK needs Node.js 20+ and npm to run Logto's npm SDKs against Gatehouse")
	}
	npmInstall(t)

	backends(t, func(t *testing.T, dbURL string) {
		const (
			api          = "https://api.example"
			callback     = "http://localhost:3000/api/logto/callback"
			afterSignOut = "http://localhost:3000/"
			username     = "kitchen01"
			pw           = "Kitchen-Pass-2024!"
		)
		in := start(t, dbURL)
		ctx := context.Background()
		_, scopeIDs := in.apiResource(t, api, []string{"read:orders", "write:orders", "read:menus"})
		staff := in.role(t, "staff", store.UserRole, scopeIDs["read:orders"], scopeIDs["read:menus"])
		appID, secret := in.createApp(t, apps.Input{Name: "Next.js dashboard", Type: store.Traditional,
			RedirectURIs: []string{callback}, PostLogoutRedirectURIs: []string{afterSignOut}})
		m2mID, m2mSecret := in.createApp(t, apps.Input{Name: "backoffice", Type: store.MachineToMachine,
			RoleNames: []string{"Logto Management API access"}})
		u := in.createUser(t, username, "kitchen@example.com", pw)
		if err := in.Store.AssignUserRoles(ctx, u.ID, []string{staff.ID}); err != nil {
			t.Fatal(err)
		}

		runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(runCtx, node, "--test", "--test-timeout=30000", "logto-node.test.mjs")
		cmd.Dir = jsDir
		cmd.Env = append(os.Environ(),
			"GATEHOUSE_ENDPOINT="+in.URL,
			"APP_ID="+appID,
			"APP_SECRET="+secret,
			"REDIRECT_URI="+callback,
			"POST_LOGOUT_REDIRECT_URI="+afterSignOut,
			"USERNAME="+username,
			"PASSWORD="+pw,
			"USER_ID="+u.ID,
			"USER_ROLE="+staff.Name,
			"RESOURCE="+api,
			"RESOURCE_SCOPES=read:orders write:orders read:menus",
			// write:orders is asked for but no role of the user grants it.
			"EXPECTED_SCOPES=read:orders read:menus",
			"M2M_ID="+m2mID,
			"M2M_SECRET="+m2mSecret,
			"NODE_NO_WARNINGS=1",
		)
		began := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node --test logto-node.test.mjs failed (%v) after %s:\n%s", err, time.Since(began).Round(time.Millisecond), indentLines(out))
		}
		t.Logf("node --test passed in %s:\n%s", time.Since(began).Round(time.Millisecond), indentLines(out))
	})
}

func indentLines(out []byte) string {
	return "\t" + strings.ReplaceAll(strings.TrimRight(string(out), "\n"), "\n", "\n\t")
}

package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// TestLogtoAPIClientFlow runs the setup script written with Logto's own
// @logto/api client against Gatehouse, then signs in with @logto/node.
func TestLogtoAPIClientFlow(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: this test needs Node.js 20+ and npm")
	}
	npmInstall(t)
	backends(t, func(t *testing.T, dbURL string) {
		in := start(t, dbURL)
		m2mID, m2mSecret := in.createApp(t, apps.Input{Name: "bootstrap", Type: store.MachineToMachine,
			RoleNames: []string{"Logto Management API access"}})
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "--test", "--test-timeout=30000", "logto-api-flow.test.mjs")
		cmd.Dir = jsDir
		cmd.Env = append(os.Environ(), "GATEHOUSE_ENDPOINT="+in.URL, "M2M_ID="+m2mID, "M2M_SECRET="+m2mSecret, "NODE_NO_WARNINGS=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node --test logto-api-flow.test.mjs failed (%v):\n%s", err, indentLines(out))
		}
	})
}

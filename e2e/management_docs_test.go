package e2e

import (
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/management"
)

// TestSwaggerMatchesRoutes checks /api/swagger.json against the routes the
// server really answers: every documented operation exists (it asks for a
// token rather than answering 404 or 405), and every registered route is
// documented.
func TestSwaggerMatchesRoutes(t *testing.T) {
	in := start(t, sqltestSQLite(t))
	anon := &mgmt{t: t, base: in.URL}
	status, _, raw := anon.call("GET", "/api/swagger.json", nil)
	if status != 200 {
		t.Fatalf("swagger.json: %d", status)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct{ Security *[]any }
	}
	if err := json.Unmarshal(raw, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			documented = append(documented, method+" "+path)
			concrete := strings.NewReplacer("{", "x", "}", "").Replace(path)
			status, _, raw := anon.call(method, concrete, map[string]any{})
			public := op.Security != nil && len(*op.Security) == 0
			if !public && status != 401 {
				t.Errorf("%s %s is documented but answers %d without a token: %s", method, path, status, raw)
			}
			if public && (status == 404 || status == 405) {
				t.Errorf("public %s %s answers %d", method, path, status)
			}
		}
	}
	var registered []string
	for _, rt := range management.New(management.Options{}).Routes() {
		registered = append(registered, rt.Method+" "+rt.Path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if strings.Join(documented, "\n") != strings.Join(registered, "\n") {
		t.Fatalf("documented:\n%s\nregistered:\n%s", strings.Join(documented, "\n"), strings.Join(registered, "\n"))
	}
	// A route that does not exist is a JSON 404 once authenticated.
	m := in.management(t)
	if code := m.fails("GET", "/api/no-such-thing", nil, 404); code == "" {
		t.Fatal("no code")
	}
}

// TestRoutesAreLogtos runs the coverage script, which fails when Gatehouse
// serves a Management API route that Logto's published client does not have
// (a wrong path or method would break drop-in compatibility).
func TestRoutesAreLogtos(t *testing.T) {
	npmInstall(t)
	out, err := exec.Command("../scripts/api-coverage.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("api-coverage: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "TOTAL") {
		t.Fatalf("api-coverage printed no total:\n%s", out)
	}
	t.Logf("\n%s", out)
}

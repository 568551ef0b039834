package catalog

import (
	"testing"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
)

// Every social factory must be able to build a provider and carry what
// the Management API and the sign-in page show.
func TestSocialFactoriesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Registry().Factories() {
		if f.Type != connector.TypeSocial {
			continue
		}
		md := f.Metadata
		if f.NewSocial == nil || f.Validate == nil {
			t.Errorf("%s: social factory without NewSocial or Validate", md.ID)
		}
		if md.Target == "" || md.Name["en"] == "" || md.Logo == "" || md.Platform == nil {
			t.Errorf("%s: target %q, name %q, logo set %v, platform %v", md.ID, md.Target, md.Name["en"], md.Logo != "", md.Platform)
		}
		if seen[md.ID] {
			t.Errorf("duplicate factory %s", md.ID)
		}
		seen[md.ID] = true
	}
	for _, id := range []string{"google-universal", "facebook-universal", "apple-universal", "linkedin-universal", "wechat-web", "github-universal"} {
		if !seen[id] {
			t.Errorf("no social factory %s (the ids Logto's configurations use)", id)
		}
	}
}

package e2e

import (
	"context"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

func newRemoteKeySet(ctx context.Context, url string) gooidc.KeySet {
	return gooidc.NewRemoteKeySet(ctx, url)
}

func newVerifier(issuer string, keys gooidc.KeySet, audience string) *gooidc.IDTokenVerifier {
	return gooidc.NewVerifier(issuer, keys, &gooidc.Config{ClientID: audience, SupportedSigningAlgs: []string{"ES256", "RS256"}})
}

// Package catalog assembles every connector factory the binary offers:
// the email and SMS senders of package connector and the social
// providers, each in a package of its own.
package catalog

import (
	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/connector/apple"
	"github.com/gatehouse-auth/gatehouse/internal/connector/discord"
	"github.com/gatehouse-auth/gatehouse/internal/connector/facebook"
	"github.com/gatehouse-auth/gatehouse/internal/connector/genericoauth"
	"github.com/gatehouse-auth/gatehouse/internal/connector/genericoidc"
	"github.com/gatehouse-auth/gatehouse/internal/connector/github"
	"github.com/gatehouse-auth/gatehouse/internal/connector/google"
	"github.com/gatehouse-auth/gatehouse/internal/connector/linkedin"
	"github.com/gatehouse-auth/gatehouse/internal/connector/microsoft"
	"github.com/gatehouse-auth/gatehouse/internal/connector/wechat"
)

// Registry returns a registry of every built-in factory.
func Registry() *connector.Registry {
	r := connector.DefaultRegistry()
	for _, f := range []*connector.Factory{
		google.Factory(), microsoft.Factory(), apple.Factory(), linkedin.Factory(), facebook.Factory(),
		github.Factory(), discord.Factory(), wechat.WebFactory(), wechat.NativeFactory(),
		genericoauth.Factory(), genericoidc.Factory(),
	} {
		r.Add(f)
	}
	return r
}

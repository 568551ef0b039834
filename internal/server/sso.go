package server

import (
	"context"

	"github.com/gatehouse-auth/gatehouse/internal/connector"
	"github.com/gatehouse-auth/gatehouse/internal/experience"
	"github.com/gatehouse-auth/gatehouse/internal/sso"
)

// ssoPages gives the sign-in pages the enterprise SSO connectors.
type ssoPages struct{ svc *sso.Service }

func (a ssoPages) view(c *sso.Connector) *experience.SSOConnector {
	return &experience.SSOConnector{ID: c.ID, Name: c.DisplayName(), Logo: c.Logo(), SyncProfile: c.SyncProfile, Domains: c.Domains}
}

func (a ssoPages) ConnectorForEmail(ctx context.Context, email string) (*experience.SSOConnector, error) {
	c, err := a.svc.ForEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	return a.view(c), nil
}

func (a ssoPages) OpenSSO(ctx context.Context, id string) (*experience.SSOConnector, connector.Social, error) {
	c, p, err := a.svc.Open(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	v := a.view(c)
	v.Issuer = p.Issuer()
	return v, p, nil
}

func (a ssoPages) AnySSO(ctx context.Context) (bool, error) {
	list, err := a.svc.Available(ctx)
	return len(list) > 0, err
}

package server

import (
	"context"

	"github.com/gatehouse-auth/gatehouse/internal/verification"
)

// codes gives the sign-in pages the verification service with plain
// string channel and purpose names.
type codes struct{ *verification.Service }

func (c codes) Send(ctx context.Context, channel, to, purpose, locale, ip string) error {
	return c.Service.Send(ctx, verification.Channel(channel), to, verification.Purpose(purpose), locale, ip)
}

func (c codes) Verify(ctx context.Context, channel, to, purpose, code string) error {
	return c.Service.Verify(ctx, verification.Channel(channel), to, verification.Purpose(purpose), code)
}

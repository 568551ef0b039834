package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
)

// operation is one worker's way of doing the scenario's unit of work. Each
// worker owns its operation, so implementations keep reusable buffers and
// per-worker state without locking.
type operation interface {
	// do performs one measured operation.
	do(ctx context.Context) error
	// afterFailure is called, unmeasured, after a failed operation; false
	// means this worker cannot go on.
	afterFailure(ctx context.Context, err error) bool
}

// clientCredentialsOp requests a token with the client's own credentials.
type clientCredentialsOp struct {
	tokens *tokenClient
	form   []byte // identical for every request, built once
	body   bytes.Buffer
}

func newClientCredentialsOp(tokens *tokenClient, cfg Config) *clientCredentialsOp {
	form := appendParam(nil, "grant_type", "client_credentials")
	if cfg.Scope != "" {
		form = appendParam(form, "scope", cfg.Scope)
	}
	if cfg.Resource != "" {
		form = appendParam(form, "resource", cfg.Resource)
	}
	return &clientCredentialsOp{tokens: tokens, form: tokens.appendClientParams(form)}
}

func (op *clientCredentialsOp) do(ctx context.Context) error {
	_, err := op.tokens.exchange(ctx, op.form, &op.body)
	return err
}

func (op *clientCredentialsOp) afterFailure(context.Context, error) bool { return true }

// refreshOp walks one rotating refresh-token chain: every grant returns the
// token to use next and kills the one used, so the chain is the worker's
// alone.
type refreshOp struct {
	tokens   *tokenClient
	resource string
	token    string
	// signer, when not nil, starts a new chain after the provider rejected
	// the current one.
	signer  *signer
	scratch signInScratch
	form    []byte
	body    bytes.Buffer
}

func (op *refreshOp) do(ctx context.Context) error {
	form := appendParam(op.form[:0], "grant_type", "refresh_token")
	form = appendParam(form, "refresh_token", op.token)
	if op.resource != "" {
		form = appendParam(form, "resource", op.resource)
	}
	form = op.tokens.appendClientParams(form)
	op.form = form
	tr, err := op.tokens.exchange(ctx, form, &op.body)
	if err != nil {
		return err
	}
	if tr.RefreshToken != "" {
		op.token = tr.RefreshToken
	} // else the provider does not rotate and the token stays valid
	return nil
}

// afterFailure keeps the chain through transient failures (the token may still
// be live) but replaces it once the provider rejected it, since a rejected
// or possibly-reused token never works again.
func (op *refreshOp) afterFailure(ctx context.Context, err error) bool {
	if !isRejectedGrant(err) {
		return true
	}
	if op.signer == nil {
		return false
	}
	token, err := op.signer.refreshToken(ctx, &op.scratch)
	if err != nil {
		return false
	}
	op.token = token
	return true
}

// signInOp is one complete browserless sign-in.
type signInOp struct {
	signer  *signer
	scratch signInScratch
}

func (op *signInOp) do(ctx context.Context) error {
	_, err := op.signer.signIn(ctx, &op.scratch)
	return err
}

func (op *signInOp) afterFailure(context.Context, error) bool { return true }

// refreshToken signs in to start a new refresh-token chain.
func (s *signer) refreshToken(ctx context.Context, scratch *signInScratch) (string, error) {
	tr, err := s.signIn(ctx, scratch)
	if err != nil {
		return "", err
	}
	if tr.RefreshToken == "" {
		return "", errors.New("the code exchange returned no refresh_token (is offline_access allowed for this client?)")
	}
	return tr.RefreshToken, nil
}

// newOperations builds one operation per worker. For refresh it first gets
// every worker its own chain, concurrently and outside the measurement.
func newOperations(ctx context.Context, cfg Config, tokens *tokenClient, s *signer) ([]operation, error) {
	ops := make([]operation, cfg.Concurrency)
	switch cfg.Scenario {
	case ScenarioClientCredentials:
		for i := range ops {
			ops[i] = newClientCredentialsOp(tokens, cfg)
		}
	case ScenarioSignIn:
		for i := range ops {
			ops[i] = &signInOp{signer: s}
		}
	case ScenarioRefresh:
		errs := make([]error, len(ops))
		var wg sync.WaitGroup
		for i := range ops {
			op := &refreshOp{tokens: tokens, resource: cfg.Resource, signer: s}
			ops[i] = op
			if i < len(cfg.RefreshTokens) {
				op.token = cfg.RefreshTokens[i]
				continue
			}
			wg.Go(func() {
				op.token, errs[i] = s.refreshToken(ctx, &op.scratch)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("loadtest: worker %d could not start a refresh-token chain: %w", i, err)
			}
		}
	}
	return ops, nil
}

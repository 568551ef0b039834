package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/keys"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "list") {
		fmt.Fprintln(stderr, "Usage: gatehouse keys rotate [--alg ES256|RS256] | gatehouse keys list")
		return errUsage
	}
	fs := newFlags("keys "+args[0], stderr)
	var d dbFlags
	d.register(fs)
	alg := "ES256"
	propagation := 45 * time.Second
	if args[0] == "rotate" {
		fs.StringVar(&alg, "alg", alg, "algorithm of the new key: ES256 or RS256")
		fs.DurationVar(&propagation, "propagation", propagation, "delay before the new key signs, so every node publishes it first")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if alg != "ES256" && alg != "RS256" {
		return fmt.Errorf("alg: %q is not ES256 or RS256", alg)
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	if args[0] == "rotate" {
		k, err := keys.Rotate(ctx, e.store, e.sealer, alg, time.Now(), propagation)
		if err != nil {
			return err
		}
		return printJSON(stdout, keyJSON{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, NotBefore: k.NotBefore})
	}
	list, err := e.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(list))
	for _, k := range list {
		out = append(out, keyJSON{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, NotBefore: k.NotBefore, RetiredAt: k.RetiredAt})
	}
	return printJSON(stdout, out)
}

// keyJSON describes a signing key without its private part.
type keyJSON struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	CreatedAt int64  `json:"createdAt"`
	NotBefore int64  `json:"notBefore"`
	RetiredAt int64  `json:"retiredAt,omitempty"`
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "rotate" && args[0] != "list" && args[0] != "import") {
		fmt.Fprintln(stderr, "Usage: gatehouse keys rotate [--alg ES256|RS256] | gatehouse keys list | gatehouse keys import --pem FILE [--sign]")
		return errUsage
	}
	fs := newFlags("keys "+args[0], stderr)
	var d dbFlags
	d.register(fs)
	alg := "ES256"
	propagation := 45 * time.Second
	var pemFile string
	var sign bool
	if args[0] == "import" {
		fs.StringVar(&pemFile, "pem", "", "PEM file of the private key (PKCS#8, SEC1 or PKCS#1; EC P-256/384/521 or RSA 2048+)")
		fs.BoolVar(&sign, "sign", false, "sign new tokens with the key (default: publish it for verification only)")
	}
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
	var pemBytes []byte
	if args[0] == "import" {
		if pemFile == "" {
			return fmt.Errorf("pem: a PEM file is required")
		}
		var err error
		if pemBytes, err = os.ReadFile(pemFile); err != nil {
			return fmt.Errorf("pem: %w", err)
		}
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	if args[0] == "import" {
		k, err := keys.Import(ctx, e.store, e.sealer, pemBytes, sign, time.Now())
		if err != nil {
			return err
		}
		return printJSON(stdout, toKeyJSON(k))
	}
	if args[0] == "rotate" {
		k, err := keys.Rotate(ctx, e.store, e.sealer, alg, time.Now(), propagation)
		if err != nil {
			return err
		}
		return printJSON(stdout, toKeyJSON(k))
	}
	list, err := e.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	out := make([]keyJSON, 0, len(list))
	for i := range list {
		out = append(out, toKeyJSON(&list[i]))
	}
	return printJSON(stdout, out)
}

// keyJSON describes a signing key without its private part.
type keyJSON struct {
	ID         string `json:"id"`
	Algorithm  string `json:"algorithm"`
	CreatedAt  int64  `json:"createdAt"`
	NotBefore  int64  `json:"notBefore,omitempty"`
	RetiredAt  int64  `json:"retiredAt,omitempty"`
	VerifyOnly bool   `json:"verifyOnly,omitempty"`
}

func toKeyJSON(k *store.SigningKey) keyJSON {
	j := keyJSON{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, NotBefore: k.NotBefore, RetiredAt: k.RetiredAt}
	if k.NotBefore == keys.NeverSigns {
		j.NotBefore, j.VerifyOnly = 0, true
	}
	return j
}

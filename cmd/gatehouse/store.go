package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"

	"github.com/gatehouse-auth/gatehouse/internal/config"
	"github.com/gatehouse-auth/gatehouse/internal/keys"
	"github.com/gatehouse-auth/gatehouse/internal/seal"
	"github.com/gatehouse-auth/gatehouse/internal/setup"
	"github.com/gatehouse-auth/gatehouse/internal/store/sqlstore"
)

// dbFlags are the settings every database command takes.
type dbFlags struct{ dbURL, encryptionKey string }

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dbURL, "db-url", "", "database: sqlite:PATH or postgres://... [$DB_URL] (default sqlite:./data/gatehouse.db)")
	fs.StringVar(&d.encryptionKey, "encryption-key", "", "key-encryption key [$ENCRYPTION_KEY]")
}

// env bundles what a command needs to work on the database.
type env struct {
	store  *sqlstore.Store
	sealer *seal.Sealer
	ring   *keys.Ring
}

// open opens and prepares the database, as serve does on start, so every
// command works on a fresh database and next to a running server.
func (d *dbFlags) open(ctx context.Context) (*env, error) {
	keyText := d.encryptionKey
	if keyText == "" {
		keyText = os.Getenv("ENCRYPTION_KEY")
	}
	kek, err := seal.ParseKEK(keyText)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(kek)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, config.DatabaseURL(d.dbURL))
	if err != nil {
		return nil, err
	}
	ring := keys.New(st, sealer, keys.Options{})
	if err := setup.Run(ctx, st, ring); err != nil {
		st.Close()
		return nil, err
	}
	return &env{store: st, sealer: sealer, ring: ring}, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

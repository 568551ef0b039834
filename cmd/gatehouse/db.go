package main

import (
	"context"
	"fmt"
	"io"
)

func runDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "migrate" {
		fmt.Fprintln(stderr, "Usage: gatehouse db migrate [--db-url URL]")
		return errUsage
	}
	fs := newFlags("db migrate", stderr)
	var d dbFlags
	d.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	applied, latest, err := e.store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "database schema at version %d of %d; built-in records and signing keys in place\n", applied, latest)
	return nil
}

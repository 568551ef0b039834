package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
	"github.com/gatehouse-auth/gatehouse/internal/users"
)

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: gatehouse user create --username U [--email E] [--name N] --password-stdin")
		return errUsage
	}
	fs := newFlags("user create", stderr)
	var d dbFlags
	d.register(fs)
	var in users.Input
	var fromStdin bool
	fs.StringVar(&in.Username, "username", "", "username")
	fs.StringVar(&in.PrimaryEmail, "email", "", "primary email")
	fs.StringVar(&in.PrimaryPhone, "phone", "", "primary phone, digits with country code")
	fs.StringVar(&in.Name, "name", "", "display name")
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		in.Password = strings.TrimRight(line, "\r\n")
		if in.Password == "" {
			return errors.New("password-stdin: standard input held no password")
		}
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	u, err := users.Create(ctx, e.store, password.DefaultParams, in)
	if store.IsConflict(err) {
		return fmt.Errorf("a user with that %s already exists", conflictField(err))
	} else if err != nil {
		return err
	}
	return printJSON(stdout, users.ToJSON(u))
}

func conflictField(err error) string {
	var c *store.ConflictError
	if errors.As(err, &c) && c.Field != "" {
		return c.Field
	}
	return "identifier"
}

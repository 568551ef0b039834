package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/console"
	"github.com/gatehouse-auth/gatehouse/internal/password"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

// stdin is where admin create reads the password; tests replace it.
var stdin io.Reader = os.Stdin

const adminUsage = "Usage: gatehouse admin create --username U [--password-file FILE]  (without --password-file the password is the first line of standard input)"

// runAdmin manages the admin console's administrators. The password never
// comes from a flag's value, which other users of the machine can read in
// the process list and which shells keep in their history.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, adminUsage)
		return errUsage
	}
	fs := newFlags("admin create", stderr)
	var d dbFlags
	d.register(fs)
	var username, passwordFile string
	fs.StringVar(&username, "username", "", "the administrator's username")
	fs.StringVar(&passwordFile, "password-file", "", "read the password from the first line of this file instead of standard input")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(username) == "" {
		fmt.Fprintln(stderr, "--username is required\n"+adminUsage)
		return errUsage
	}
	var src io.Reader = stdin
	from := "standard input"
	if passwordFile != "" {
		f, err := os.Open(passwordFile)
		if err != nil {
			return fmt.Errorf("password-file: %w", err)
		}
		defer f.Close()
		src, from = f, "the password file"
	}
	line, err := bufio.NewReader(src).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password from %s: %w", from, err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return fmt.Errorf("%s held no password", from)
	}
	admin, err := console.NewAdministrator(username, pw, password.DefaultParams)
	var ie *console.InvalidError
	if errors.As(err, &ie) {
		return fmt.Errorf("%s: %s", ie.Field, ie.Reason)
	} else if err != nil {
		return err
	}
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	if err := e.store.CreateAdministrator(ctx, admin); store.IsConflict(err) {
		return fmt.Errorf("an administrator named %q already exists", admin.Username)
	} else if err != nil {
		return err
	}
	return printJSON(stdout, struct {
		ID        string `json:"id"`
		Username  string `json:"username"`
		CreatedAt int64  `json:"createdAt"` // Unix milliseconds
	}{admin.ID, admin.Username, admin.CreatedAt})
}

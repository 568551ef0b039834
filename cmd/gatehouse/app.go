package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gatehouse-auth/gatehouse/internal/apps"
	"github.com/gatehouse-auth/gatehouse/internal/store"
)

func runApp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: gatehouse app create --type TYPE --name NAME [flags]")
		return errUsage
	}
	fs := newFlags("app create", stderr)
	var d dbFlags
	d.register(fs)
	var (
		in                                  apps.Input
		typ                                 string
		redirects, postLogouts, roles, cors stringList
	)
	fs.StringVar(&typ, "type", "", "Native, SPA, Traditional or MachineToMachine (required)")
	fs.StringVar(&in.Name, "name", "", "application name (required)")
	fs.StringVar(&in.Description, "description", "", "description")
	fs.Var(&redirects, "redirect-uri", "redirect URI (repeatable)")
	fs.Var(&postLogouts, "post-logout-redirect-uri", "post sign-out redirect URI (repeatable)")
	fs.Var(&cors, "cors-origin", "origin allowed to call the token endpoint from a browser (repeatable)")
	fs.Var(&roles, "role", "name of a MachineToMachine role to assign (repeatable)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	in.Type = store.ApplicationType(typ)
	in.RedirectURIs, in.PostLogoutRedirectURIs, in.RoleNames, in.CORSAllowedOrigins = redirects, postLogouts, roles, cors
	e, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer e.store.Close()
	created, err := apps.Create(ctx, e.store, e.sealer, in)
	if err != nil {
		return err
	}
	return printJSON(stdout, apps.ToJSON(created.App, created.Secret))
}

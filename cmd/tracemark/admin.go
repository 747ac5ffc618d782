package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/store"
)

// cliActor is how the audit log names changes made with `tracemark admin`
// on the server's console (no signed-in user exists yet for the first one).
const cliActor = "cli:admin"

func newAdminCmd() *cobra.Command {
	var df dataFlags
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Create the first administrator, users and API tokens (on the server's console)",
	}
	df.register(cmd)
	cmd.AddCommand(newCreateAdminCmd(&df), newCreateUserCmd(&df), newTokenCmd(&df))
	return cmd
}

// adminEnv is an open store with its audit log and sign-in service.
type adminEnv struct {
	st  *store.Store
	log *audit.Log
	svc *auth.Service
}

func (df *dataFlags) adminEnv(ctx context.Context) (*adminEnv, error) {
	key, err := df.signingKey(true)
	if err != nil {
		return nil, err
	}
	st, err := df.open(ctx, false)
	if err != nil {
		return nil, err
	}
	l := audit.New(st, key)
	return &adminEnv{st: st, log: l, svc: auth.NewService(st, auth.Config{Record: l.RecordAuth})}, nil
}

func (e *adminEnv) record(ctx context.Context, agency domain.AgencyID, action, objType, objID string, details any) error {
	_, err := e.log.Append(ctx, audit.Record{Agency: string(agency), Actor: cliActor, Action: action, ObjectType: objType, ObjectID: objID, Details: details})
	return err
}

// readPassword reads the new password from file (first line), or asks
// twice on the terminal.
func readPassword(cmd *cobra.Command, file string) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("reading the password file: %w", err)
		}
		defer f.Close()
		line, err := bufio.NewReader(io.LimitReader(f, auth.MaxPasswordBytes+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password file: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), auth.CheckNewPassword(strings.TrimRight(line, "\r\n"))
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("no terminal to ask for the password: give --password-file FILE")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	pw, err := ask(fmt.Sprintf("New password (at least %d characters): ", auth.MinPasswordChars))
	if err != nil {
		return "", err
	}
	if err := auth.CheckNewPassword(pw); err != nil {
		return "", err
	}
	again, err := ask("Repeat it: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", errors.New("the two passwords differ")
	}
	return pw, nil
}

func parseRoles(s string) ([]domain.Role, error) {
	var out []domain.Role
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		known := false
		for _, k := range domain.Roles {
			known = known || domain.Role(r) == k
		}
		if !known {
			return nil, fmt.Errorf("unknown role %q: want a comma-separated list of %v", r, domain.Roles)
		}
		out = append(out, domain.Role(r))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("give at least one role of %v", domain.Roles)
	}
	return out, nil
}

// createUser creates a user with a password and records it.
func (e *adminEnv) createUser(ctx context.Context, u domain.User, password string) (domain.User, error) {
	u, err := e.st.CreateUser(ctx, u)
	if errs.Is(errs.Conflict, err) {
		return u, fmt.Errorf("a user named %q exists already", u.Username)
	} else if err != nil {
		return u, err
	}
	if err := e.record(ctx, u.AgencyID, "user.create", "user", string(u.ID), map[string]any{"username": u.Username, "roles": u.Roles}); err != nil {
		return u, err
	}
	return u, e.svc.SetPassword(ctx, auth.Actor{User: cliActor, Agency: u.AgencyID}, u.AgencyID, u.ID, password)
}

func newCreateAdminCmd(df *dataFlags) *cobra.Command {
	var code, name, country, user, display, pwFile string
	cmd := &cobra.Command{
		Use:   "create-admin",
		Short: "Create an administrator (and the agency if it does not exist yet)",
		Example: `  tracemark admin create-admin --agency KZ-CSE --name "Centre of Forensic Science" --user admin
  tracemark admin create-admin --db postgres://… --agency KZ-CSE --name "…" --user admin --password-file pw.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			pw, err := readPassword(cmd, pwFile)
			if err != nil {
				return err
			}
			e, err := df.adminEnv(ctx)
			if err != nil {
				return err
			}
			defer e.st.Close()
			ag, err := e.st.AgencyByCode(ctx, code)
			if errs.Is(errs.NotFound, err) {
				if name == "" {
					return fmt.Errorf("agency %s does not exist: give its --name to create it", code)
				}
				ag, err = e.st.CreateAgency(ctx, domain.Agency{Code: code, Name: name, Country: country})
				if err != nil {
					return err
				}
				if err := e.record(ctx, ag.ID, "agency.create", "agency", string(ag.ID), map[string]any{"code": ag.Code, "name": ag.Name}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created agency %s (%s)\n", ag.Code, ag.ID)
			} else if err != nil {
				return err
			}
			u, err := e.createUser(ctx, domain.User{AgencyID: ag.ID, Username: user, DisplayName: display, Roles: []domain.Role{domain.RoleAdministrator}}, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created administrator %s (%s) of agency %s\n", u.Username, u.ID, ag.Code)
			return nil
		},
	}
	cmd.Flags().StringVar(&code, "agency", "", "agency code, e.g. KZ-CSE (required)")
	cmd.Flags().StringVar(&name, "name", "", "agency name (required when the agency is new)")
	cmd.Flags().StringVar(&country, "country", "", "agency country code (ISO 3166-1 alpha-2)")
	cmd.Flags().StringVar(&user, "user", "", "administrator's username (required)")
	cmd.Flags().StringVar(&display, "display-name", "", "administrator's full name")
	cmd.Flags().StringVar(&pwFile, "password-file", "", "read the password from the first line of this file instead of asking")
	cmd.MarkFlagRequired("agency")
	cmd.MarkFlagRequired("user")
	return cmd
}

func newCreateUserCmd(df *dataFlags) *cobra.Command {
	var code, user, display, roles, pwFile string
	cmd := &cobra.Command{
		Use:     "create-user",
		Short:   "Create a user of an existing agency",
		Example: `  tracemark admin create-user --agency KZ-CSE --user aliya --roles examiner,verifier`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			pw, err := readPassword(cmd, pwFile)
			if err != nil {
				return err
			}
			e, err := df.adminEnv(ctx)
			if err != nil {
				return err
			}
			defer e.st.Close()
			ag, err := e.st.AgencyByCode(ctx, code)
			if err != nil {
				return err
			}
			u, err := e.createUser(ctx, domain.User{AgencyID: ag.ID, Username: user, DisplayName: display, Roles: rs}, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s) of agency %s with roles %v\n", u.Username, u.ID, ag.Code, u.Roles)
			return nil
		},
	}
	cmd.Flags().StringVar(&code, "agency", "", "agency code (required)")
	cmd.Flags().StringVar(&user, "user", "", "username (required)")
	cmd.Flags().StringVar(&display, "display-name", "", "full name")
	cmd.Flags().StringVar(&roles, "roles", "", fmt.Sprintf("comma-separated roles of %v (required)", domain.Roles))
	cmd.Flags().StringVar(&pwFile, "password-file", "", "read the password from the first line of this file instead of asking")
	cmd.MarkFlagRequired("agency")
	cmd.MarkFlagRequired("user")
	cmd.MarkFlagRequired("roles")
	return cmd
}

func newTokenCmd(df *dataFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create or revoke API tokens for machines"}
	var code, user, name, roles string
	var ttl time.Duration
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create an API token; it is printed once and never stored",
		Example: `  tracemark admin token create --agency KZ-CSE --user scanner-pc --name scanner-1 --roles technician`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			e, err := df.adminEnv(ctx)
			if err != nil {
				return err
			}
			defer e.st.Close()
			ag, err := e.st.AgencyByCode(ctx, code)
			if err != nil {
				return err
			}
			u, err := e.st.UserByName(ctx, user)
			if err != nil || u.AgencyID != ag.ID {
				return fmt.Errorf("no user %q in agency %s", user, code)
			}
			var expires time.Time
			if ttl > 0 {
				expires = time.Now().Add(ttl)
			}
			nt, err := e.svc.CreateToken(ctx, auth.Actor{User: cliActor, Agency: ag.ID}, ag.ID, u.ID, name, rs, expires)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "created token %s (%s) for %s with roles %v; keep it secret, it is shown only now:\n", nt.Token.Name, nt.Token.ID, u.Username, nt.Token.Roles)
			fmt.Fprintln(cmd.OutOrStdout(), nt.Text)
			return nil
		},
	}
	create.Flags().StringVar(&code, "agency", "", "agency code (required)")
	create.Flags().StringVar(&user, "user", "", "the user the token acts for (required)")
	create.Flags().StringVar(&name, "name", "", "token name, unique in the agency (required)")
	create.Flags().StringVar(&roles, "roles", "", "comma-separated roles the token holds (required)")
	create.Flags().DurationVar(&ttl, "expires", 0, "lifetime, e.g. 720h (default: until revoked)")
	for _, f := range []string{"agency", "user", "name", "roles"} {
		create.MarkFlagRequired(f)
	}
	var rcode string
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke an API token of an agency",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			e, err := df.adminEnv(ctx)
			if err != nil {
				return err
			}
			defer e.st.Close()
			ag, err := e.st.AgencyByCode(ctx, rcode)
			if err != nil {
				return err
			}
			t, err := e.svc.RevokeToken(ctx, auth.Actor{User: cliActor, Agency: ag.ID}, ag.ID, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked token %s (%s)\n", t.Name, t.ID)
			return nil
		},
	}
	revoke.Flags().StringVar(&rcode, "agency", "", "agency code (required)")
	revoke.MarkFlagRequired("agency")
	cmd.AddCommand(create, revoke)
	return cmd
}

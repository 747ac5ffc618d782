package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/store"
)

// defaultDataDir is the data folder when none is given (the same as
// `tracemark serve`'s default).
const defaultDataDir = "tracemark-data"

// dataFlags are the --data and --db flags shared by audit and admin.
type dataFlags struct{ data, db string }

func (f *dataFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.data, "data", defaultDataDir, "data folder (SQLite file tracemark.db, audit signing key)")
	cmd.PersistentFlags().StringVar(&f.db, "db", "", "database URL: postgres://… or a SQLite file (default DATA/tracemark.db)")
}

// open opens the store; with mustExist, a missing default SQLite file is
// an error rather than a new empty database.
func (f *dataFlags) open(ctx context.Context, mustExist bool) (*store.Store, error) {
	url := f.db
	if url == "" {
		url = filepath.Join(f.data, "tracemark.db")
		if _, err := os.Stat(url); mustExist && err != nil {
			return nil, fmt.Errorf("no database at %s: give --data DIR or --db URL", url)
		}
	}
	return store.Open(ctx, url)
}

// signingKey loads (or with create, makes) the node's audit key.
func (f *dataFlags) signingKey(create bool) (ed25519.PrivateKey, error) {
	if create {
		return audit.LoadOrCreateKey(f.data)
	}
	return audit.LoadKey(filepath.Join(f.data, audit.KeyFile))
}

func newAuditCmd() *cobra.Command {
	var df dataFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, list and export the hash-chained audit log",
	}
	df.register(cmd)
	cmd.AddCommand(newAuditVerifyCmd(&df), newAuditListCmd(&df), newAuditExportCmd(&df), newAuditCheckpointCmd(&df))
	return cmd
}

func newAuditVerifyCmd(df *dataFlags) *cobra.Command {
	var pubFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every entry's hash and link and every signed checkpoint",
		Long: `verify walks the whole audit log and exits with status 1, naming the first
changed, inserted or deleted entry, if the log was tampered with.

Checkpoint signatures are checked against the node's public key: --public-key
FILE, else DATA/audit-signing.pub. Keep a copy of that file where the
database's writers cannot change it and pass it with --public-key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var trusted []ed25519.PublicKey
			if pubFile == "" {
				pubFile = filepath.Join(df.data, audit.PublicKeyFile)
				if _, err := os.Stat(pubFile); errors.Is(err, fs.ErrNotExist) {
					pubFile = ""
				}
			}
			if pubFile != "" {
				b, err := os.ReadFile(pubFile)
				if err != nil {
					return fmt.Errorf("reading the audit public key: %w", err)
				}
				k, err := audit.ParsePublicKey(string(b))
				if err != nil {
					return fmt.Errorf("%s: %w", pubFile, err)
				}
				trusted = append(trusted, k)
			}
			st, err := df.open(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := audit.Verify(ctx, st, trusted...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				if len(trusted) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "warning: no trusted public key; checkpoint signatures checked against the keys they name")
				}
				fmt.Fprintf(out, "%d entries, last seq %d, %d signed checkpoints, %d entries after the newest checkpoint\n",
					rep.Entries, rep.LastSeq, rep.Checkpoints, rep.Unsigned)
			}
			if rep.Problem != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "AUDIT LOG BROKEN at entry %d (%s): %s\n", rep.Problem.Seq, rep.Problem.Kind, rep.Problem.Message)
				return exitError{code: 1}
			}
			if !asJSON {
				fmt.Fprintln(out, "audit log intact")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pubFile, "public-key", "", "trusted public key file of the node (hex Ed25519; default DATA/audit-signing.pub)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

type auditFilterFlags struct {
	agency, cas string
	after       int64
}

func (f *auditFilterFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.cas, "case", "", "only entries of this case ID")
	cmd.Flags().StringVar(&f.agency, "agency", "", "only entries of this agency ID")
	cmd.Flags().Int64Var(&f.after, "after", 0, "only entries with seq greater than this")
}

func (f *auditFilterFlags) filter() (audit.Filter, error) {
	af := audit.Filter{Agency: domain.AgencyID(f.agency), Case: domain.CaseID(f.cas), AfterSeq: f.after}
	if f.cas != "" {
		if err := domain.CheckID("--case", f.cas); err != nil {
			return af, err
		}
	}
	if f.agency != "" {
		if err := domain.CheckID("--agency", f.agency); err != nil {
			return af, err
		}
	}
	return af, nil
}

func newAuditListCmd(df *dataFlags) *cobra.Command {
	var ff auditFilterFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit entries (e.g. of one case: --case ID)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			st, err := df.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			es, err := audit.New(st, nil).List(cmd.Context(), f, limit)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, e := range es {
				fmt.Fprintf(w, "%6d  %s  %-22s %-36s %s %s  %s\n", e.Seq, e.At.Format("2006-01-02T15:04:05.000000Z"), e.Action,
					e.Actor, e.ObjectType, e.ObjectID, e.Details)
			}
			return nil
		},
	}
	ff.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "most entries to print (at most 10000)")
	return cmd
}

func newAuditExportCmd(df *dataFlags) *cobra.Command {
	var ff auditFilterFlags
	var out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export audit entries as JSON lines (all fields, hashes included)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			f, err := ff.filter()
			if err != nil {
				return err
			}
			st, err := df.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			var w io.Writer = cmd.OutOrStdout()
			if out != "" && out != "-" {
				fh, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
				if err != nil {
					return fmt.Errorf("creating the export file (it must not exist yet): %w", err)
				}
				defer func() { err = errors.Join(err, fh.Sync(), fh.Close()) }()
				w = fh
			}
			n, err := audit.New(st, nil).Export(cmd.Context(), w, f)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "exported %d entries\n", n)
			return nil
		},
	}
	ff.register(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "-", "output file (must not exist; - for standard output)")
	return cmd
}

func newAuditCheckpointCmd(df *dataFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Sign the newest entry now with the node's key (before backups, after maintenance)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := df.signingKey(false)
			if err != nil {
				return fmt.Errorf("loading the audit signing key from %s: %w", df.data, err)
			}
			st, err := df.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			seq, err := audit.New(st, key).Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			if seq == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "the audit log is empty: nothing to sign")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed checkpoint at entry %d\n", seq)
			return nil
		},
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/server"
)

func newRestoreCmd() *cobra.Command {
	var (
		bf      backupFlags
		force   bool
		pubFile string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "restore FILE --data NEWDIR",
		Short: "Restore a backup into a new data folder (and database), then verify the audit log",
		Long: `restore checks every entry of the archive against its manifest before writing
anything, builds the new data folder beside NEWDIR, opens the database
(migrating an older schema forward; a newer one is refused), checks every blob
and verifies the audit chain against the restored node's public key, and only
then moves the folder into place.

A non-empty NEWDIR is refused unless --force; then the old folder is renamed to
NEWDIR.replaced-<time> once the new one is complete (never deleted). A
PostgreSQL backup goes into the database (schema) given by --db, which must be
empty unless --force: then it is loaded into a new schema beside the old one,
checked, and the two are swapped in one transaction (the old schema is renamed
<schema>_replaced_<time>, not dropped). Blobs go into NEWDIR/blobs, or into
--blobs (S3 or a folder). Stop the node before restoring over its data. Exit
status 1 if the restored audit log does not verify.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			trusted, err := trustedKeys(pubFile)
			if err != nil {
				return err
			}
			t := backup.Target{DataDir: bf.data, DBURL: bf.db, Force: force}
			if bf.blobs != "" {
				var s blob.Storage
				if s, err = server.OpenBlobs(ctx, bf.blobs); err != nil {
					return err
				}
				t.Blobs = s
			}
			start := time.Now()
			res, err := backup.Restore(ctx, args[0], t, backup.RestoreOptions{Trusted: trusted,
				Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))})
			if err != nil {
				return fmt.Errorf("restoring %s: %w", args[0], err)
			}
			elapsed := time.Since(start)
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"manifest": res.Manifest, "signed": res.Signed, "schema_before": res.SchemaBefore,
					"schema_after": res.SchemaAfter, "blobs": res.Blobs, "blob_bytes": res.BlobBytes, "keys": res.Keys,
					"audit": res.Audit, "audit_head_matches": res.AuditHeadMatches, "replaced": res.Replaced, "replaced_schema": res.ReplacedSchema, "seconds": elapsed.Seconds()}); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(w, res.Manifest)
				fmt.Fprintln(w, signatureLine(res.Verified, trusted))
				fmt.Fprintf(w, "restored into %s in %.2fs: schema %d → %d, %d blobs (%d bytes), key files %v\n",
					bf.data, elapsed.Seconds(), res.SchemaBefore, res.SchemaAfter, res.Blobs, res.BlobBytes, res.Keys)
				if res.Replaced != "" {
					fmt.Fprintf(w, "the previous data folder was moved to %s (remove it once the restore is checked)\n", res.Replaced)
				}
				if res.ReplacedSchema != "" {
					fmt.Fprintf(w, "the previous PostgreSQL schema was renamed to %s (drop it once the restore is checked)\n", res.ReplacedSchema)
				}
				fmt.Fprintf(w, "audit log: %d entries, last seq %d, %d signed checkpoints, %d entries after the newest checkpoint\n",
					res.Audit.Entries, res.Audit.LastSeq, res.Audit.Checkpoints, res.Audit.Unsigned)
			}
			if res.Audit.Problem != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "AUDIT LOG BROKEN at entry %d (%s): %s\n", res.Audit.Problem.Seq, res.Audit.Problem.Kind, res.Audit.Problem.Message)
				return exitError{code: 1}
			}
			if !res.AuditHeadMatches {
				fmt.Fprintf(cmd.ErrOrStderr(), "AUDIT LOG does not end at entry %d recorded in the manifest\n", res.Manifest.Audit.LastSeq)
				return exitError{code: 1}
			}
			if !asJSON {
				start := "tracemark serve --data " + bf.data
				if bf.db != "" {
					start += " --db <the --db URL above>"
				}
				if bf.blobs != "" {
					start += " --blobs <the --blobs URL above>"
				}
				fmt.Fprintln(w, "audit log intact; the restored node can be started with: "+start)
			}
			return nil
		},
	}
	bf.register(cmd, "", "new data folder to restore into (must be empty or missing unless --force)")
	cmd.MarkFlagRequired("data")
	cmd.Flags().BoolVar(&force, "force", false, "restore over a non-empty data folder (or PostgreSQL schema), moving the old one aside (never deleted)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "trusted audit public key file of the source node; the manifest must be signed by it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

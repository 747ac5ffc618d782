package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/backup"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

// backupFlags are the storage flags of backup and restore.
type backupFlags struct{ data, db, blobs string }

func (f *backupFlags) register(cmd *cobra.Command, dataDefault, dataHelp string) {
	cmd.Flags().StringVar(&f.data, "data", dataDefault, dataHelp)
	cmd.Flags().StringVar(&f.db, "db", "", "database URL: postgres://… (default: the SQLite file DATA/tracemark.db)")
	cmd.Flags().StringVar(&f.blobs, "blobs", "", "blob store: http(s)://ACCESS:SECRET@host:port/bucket for S3, or a folder (default DATA/blobs)")
}

func newBackupCmd() *cobra.Command {
	var (
		bf     backupFlags
		out    string
		noSign bool
	)
	cmd := &cobra.Command{
		Use:   "backup -o FILE",
		Short: "Take a consistent online backup: database, referenced blobs, audit log, key files",
		Long: `backup writes one archive (tar; .tar.gz gzip, .tar.zst zstd, by the name of -o)
holding a consistent snapshot of the database (SQLite VACUUM INTO, or one
REPEATABLE READ transaction on PostgreSQL), every blob the snapshot refers to,
and the data folder's key files (audit signing key, node identity, TLS), with
a manifest.json of every entry's SHA-256. It runs while tracemark serve runs.

With the node's audit signing key (DATA/audit-signing.key) it first signs an
audit checkpoint, then signs the manifest. The job queue is not copied: a
restored node requeues unfinished correlation runs at start.

Check an archive with 'tracemark backup verify FILE'; restore it with
'tracemark restore FILE --data NEWDIR'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			ctx := cmd.Context()
			if out == "" {
				return errors.New("give the archive to write with -o FILE (e.g. backup.tar.zst)")
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists already: choose a new file name", out)
			}
			dbURL := bf.db
			if dbURL == "" {
				dbURL = filepath.Join(bf.data, store.SnapshotSQLiteFile)
			}
			st, err := store.OpenExisting(ctx, dbURL)
			if err != nil {
				return err
			}
			defer st.Close()
			blobsURL := bf.blobs
			if blobsURL == "" {
				blobsURL = filepath.Join(bf.data, "blobs")
			}
			blobs, err := server.OpenBlobs(ctx, blobsURL)
			if err != nil {
				return err
			}
			var key ed25519.PrivateKey
			if !noSign {
				key, err = audit.LoadKey(filepath.Join(bf.data, audit.KeyFile))
				switch {
				case errors.Is(err, fs.ErrNotExist):
					fmt.Fprintf(cmd.ErrOrStderr(), "warning: no audit signing key in %s: no checkpoint signed, manifest unsigned\n", bf.data)
				case err != nil:
					return err
				}
			}
			// Written under a temporary name, so a failed backup never
			// leaves a file that looks complete.
			partial := out + ".partial"
			f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists: another backup is writing it, or one was interrupted (then remove it)", partial)
			} else if err != nil {
				return fmt.Errorf("creating the archive: %w", err)
			}
			defer func() {
				if err != nil {
					f.Close()
					os.Remove(partial)
				}
			}()
			host, _ := os.Hostname()
			start := time.Now()
			m, err := backup.Create(ctx, f, backup.Node{Store: st, Blobs: blobs, DataDir: bf.data, SigningKey: key},
				backup.Options{Compression: backup.CompressionFor(out), Version: tracemarkVersion(), Hostname: host, TempDir: filepath.Dir(out),
					Log: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))})
			if err != nil {
				return err
			}
			if err := errors.Join(f.Sync(), f.Close()); err != nil {
				return fmt.Errorf("writing the archive: %w", err)
			}
			if err := os.Rename(partial, out); err != nil {
				return err
			}
			info, err := os.Stat(out)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, m)
			fmt.Fprintf(w, "wrote %s: %d entries, %d bytes in %.2fs\n", out, len(m.Entries)+1, info.Size(), time.Since(start).Seconds())
			if n := len(m.MissingBlobs); n > 0 {
				// Kept (better than nothing) but flagged, so a scheduled
				// backup with the wrong --blobs does not pass unnoticed.
				fmt.Fprintf(cmd.ErrOrStderr(), "BACKUP INCOMPLETE: %d blobs named by the database are missing from the blob store (listed in the manifest's missing_blobs); is --blobs right?\n", n)
				return exitError{code: 1}
			}
			return nil
		},
	}
	bf.register(cmd, server.DefaultDataDir, "data folder of the node (SQLite file, blob folder, key files)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "archive to write (must not exist); .tar, .tar.gz or .tar.zst")
	cmd.Flags().BoolVar(&noSign, "no-sign", false, "do not sign an audit checkpoint and the manifest")
	cmd.AddCommand(newBackupVerifyCmd())
	return cmd
}

func newBackupVerifyCmd() *cobra.Command {
	var (
		pubFile string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a backup archive (every entry's SHA-256, layout, signature) without restoring it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trusted, err := trustedKeys(pubFile)
			if err != nil {
				return err
			}
			start := time.Now()
			v, err := backup.VerifyFile(cmd.Context(), args[0], backup.VerifyOptions{Trusted: trusted})
			if err != nil {
				return fmt.Errorf("%s: BACKUP REFUSED: %w", args[0], err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"manifest": v.Manifest, "signed": v.Signed, "bytes": v.Bytes})
			}
			fmt.Fprintln(w, v.Manifest)
			fmt.Fprintf(w, "%d entries, %d bytes: every SHA-256 matches the manifest (%.2fs)\n", len(v.Manifest.Entries), v.Bytes, time.Since(start).Seconds())
			fmt.Fprintln(w, signatureLine(v, trusted))
			return nil
		},
	}
	cmd.Flags().StringVar(&pubFile, "public-key", "", "trusted audit public key file of the source node (hex Ed25519); the manifest must be signed by it")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON")
	return cmd
}

func signatureLine(v backup.Verified, trusted []ed25519.PublicKey) string {
	switch {
	case !v.Signed:
		return "manifest NOT signed (backup taken without the node's audit key)"
	case len(trusted) > 0:
		return "manifest signed by the trusted key " + v.Manifest.Source.AuditPublicKey
	}
	return "manifest signed by the key it names (" + v.Manifest.Source.AuditPublicKey + "); give --public-key to check it is the node's"
}

// trustedKeys reads an optional public key file.
func trustedKeys(path string) ([]ed25519.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	k, err := audit.ParsePublicKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return []ed25519.PublicKey{k}, nil
}

// tracemarkVersion is the module version and VCS revision of this binary.
func tracemarkVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
)

func newIngestCmd() *cobra.Command {
	var (
		nf       nodeFlags
		manifest string
		workers  int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "ingest [FILES|FOLDERS...] --manifest CSV|JSON",
		Short: "Ingest scan files listed in a manifest (resumable, idempotent by content hash)",
		Long: `Ingest the scans listed in a CSV or JSON manifest into the database under
--data (or --db/--blobs). Cases and exhibits are created when missing. Files
already stored (same SHA-256) are skipped, so an interrupted ingest is simply
run again. A file that fails is reported and the rest go on. If a 'tracemark
serve' runs on the same data folder (or --nats is given) every new scan is
queued for correlation at once; otherwise its run waits in the database and
the next 'tracemark serve' queues it.

FILES or FOLDERS, if given, restrict the ingest to the manifest rows whose
files lie there; files under them that the manifest does not list are
reported.

Manifest columns (CSV header or JSON keys): file, case_number, exhibit_label,
kind (cartridge | bullet-land | image) are required; role (crime_scene |
reference), calibre, firing_pin_shape, breech_face_class, ejector_position,
lands, twist, land_width_um, ammunition_make, um_per_pixel (required for
images), instrument, acquired_at (RFC 3339), case_title, offence, place_name,
description are optional. Relative file paths are relative to the manifest.
The land order of a bullet is the order of its files' names.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := terminationContext(cmd.Context())
			defer stop()
			if manifest == "" {
				return fmt.Errorf("ingest: --manifest is required")
			}
			mf, err := os.Open(manifest)
			if err != nil {
				return fmt.Errorf("ingest: %w", err)
			}
			rows, err := ingest.ParseManifest(mf)
			mf.Close()
			if err != nil {
				return fmt.Errorf("ingest: %s: %w", manifest, err)
			}
			cfg := nf.config()
			cfg.Workers = -1
			var node *server.Node
			if cfg.NATSURL == "" {
				if u, err := server.WorkerDataURL(nf.data); err == nil {
					cfg.NATSURL = u
				}
			}
			if cfg.NATSURL != "" {
				node, err = server.Open(ctx, cfg)
			} else {
				node, err = server.OpenLocal(ctx, cfg)
			}
			if err != nil {
				return err
			}
			defer node.Close()
			b := &ingest.Batch{In: node.Ingester, Agency: node.Agency.ID, Actor: node.User.ID, Workers: workers,
				BaseDir: filepath.Dir(manifest)}
			rows, unlisted, err := selectRows(b, rows, args)
			if err != nil {
				return err
			}
			errOut := cmd.ErrOrStderr()
			for _, p := range unlisted {
				fmt.Fprintf(errOut, "not in the manifest, skipped: %s\n", p)
			}
			var bar *progressbar.ProgressBar
			if isTerminal(errOut) && !asJSON {
				bar = newProgressBar(errOut, len(rows), "ingest")
			}
			b.OnDone = func(o ingest.Outcome) {
				if bar != nil {
					bar.Add(1)
				}
				if o.Err == nil {
					o.Err = recordIngested(ctx, node, o.Result)
				}
				if o.Err != nil {
					if bar != nil {
						bar.Clear()
					}
					fmt.Fprintf(errOut, "FAILED %s (manifest entry %d): %v\n", o.Path, o.Row.Line, o.Err)
				}
			}
			sum := b.Run(ctx, rows)
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(errOut)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%d stored, %d already present, %d failed, %d correlation runs queued; %.1f s (%.1f new scans/s)\n",
					sum.Stored, sum.Present, sum.Failed, sum.Runs, sum.Elapsed, sum.PerSecond)
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("ingest interrupted (run it again to resume): %w", err)
			}
			if sum.Failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	nf.register(cmd)
	cmd.Flags().StringVar(&manifest, "manifest", "", "CSV or JSON manifest of the files (required)")
	cmd.Flags().IntVar(&workers, "workers", runtime.GOMAXPROCS(0), "files ingested at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// selectRows keeps the rows whose files lie in the given files or folders
// (all rows when none are given) and lists the files found there that no
// row names.
func selectRows(b *ingest.Batch, rows []ingest.Row, args []string) ([]ingest.Row, []string, error) {
	if len(args) == 0 {
		return rows, nil, nil
	}
	listed := map[string]bool{}
	for _, r := range rows {
		abs, _ := filepath.Abs(b.Path(r))
		listed[abs] = true
	}
	keep := map[string]bool{}
	var unlisted []string
	for _, a := range args {
		err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			abs, _ := filepath.Abs(p)
			if listed[abs] {
				keep[abs] = true
			} else if ext := strings.ToLower(filepath.Ext(p)); ext == ".x3p" || ext == ".png" || ext == ".tif" || ext == ".tiff" || ext == ".jpg" || ext == ".jpeg" {
				unlisted = append(unlisted, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("ingest: %w", err)
		}
	}
	var out []ingest.Row
	for _, r := range rows {
		if abs, _ := filepath.Abs(b.Path(r)); keep[abs] {
			out = append(out, r)
		}
	}
	return out, unlisted, nil
}

// recordIngested records a newly stored scan as the API's upload does: the
// custody event "scanned" with the file's SHA-256 and the reader's warnings
// (X3P checksums among them), which is also its audit entry.
func recordIngested(ctx context.Context, node *server.Node, res *ingest.Result) error {
	if res == nil || !res.Created {
		return nil
	}
	sc := res.Scan
	ex, err := node.Store.Exhibit(ctx, sc.AgencyID, sc.ExhibitID)
	if err != nil {
		return fmt.Errorf("stored, but its custody event could not be recorded: %w", err)
	}
	at := sc.AcquiredAt
	if at.IsZero() {
		at = sc.CreatedAt
	}
	if at.IsZero() {
		at = time.Now()
	}
	notes := "ingested from " + sc.OriginalName
	if sc.Instrument != "" {
		notes += "; instrument " + sc.Instrument
	}
	_, err = node.Audit.AddCustody(ctx, server.ConsoleUser, string(ex.CaseID), store.CustodyEvent{Agency: sc.AgencyID, Exhibit: ex.ID,
		Kind: store.CustodyScanned, At: at.UTC(), By: node.User.ID, Notes: notes, Scan: sc.ID,
		ScanHashes: []string{sc.Original.String()}, Warnings: sc.Warnings})
	if err != nil {
		return fmt.Errorf("stored, but its custody event could not be recorded: %w", err)
	}
	return nil
}

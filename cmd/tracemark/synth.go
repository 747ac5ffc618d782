package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// synthFlags are the options of tracemark synth.
type synthFlags struct {
	out, kind             string
	firearms, shots       int
	seed                  uint64
	spacing, snr          float64
	raw                   bool
	size                  int
	rotation, consecutive float64
	classMarks            bool
	lands                 int
	damage, noShuffle     bool
	landWidth, landHeight float64
}

func newSynthCmd() *cobra.Command {
	var f synthFlags
	cmd := &cobra.Command{
		Use:   "synth --out DIR --firearms N --shots M [--kind cartridge|bullet]",
		Short: "Write synthetic cartridge-case or bullet-land scans (X3P) with a ground-truth CSV",
		Long: `Write synthetic scans, deterministic by --seed, as X3P files (float32 heights)
plus DIR/ground_truth.csv, whose file column is relative to DIR.

Cartridges: --firearms firearms × --shots firings, breech-face scans that look already
processed (levelled, band-passed, annulus) or, with --raw, as an instrument delivers them.
CSV columns: file,source_id,rotation_deg,shift_x_um,shift_y_um (the breech-face pose; see
internal/synth for its convention).

Bullets: --firearms barrels × --shots bullets × --lands lands, one file per land, base at
row 0, lands scanned from a random starting land unless --no-shuffle.
CSV columns: file,bullet_id,land,source_id,barrel_id (source_id = same land of the same barrel),
then barrel_land, shift_x_um (scan offset along the land), groove_left_um and groove_right_um
(x of the true groove cuts) and break_off_um (height of a base break-off, 0 if none).`,
		Example: `  tracemark synth --out /tmp/cc --firearms 10 --shots 4
  tracemark synth --out /tmp/bl --kind bullet --firearms 5 --shots 3 --spacing 1.5625 --damage`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSynth(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "output directory (created if needed)")
	fl.StringVar(&f.kind, "kind", "cartridge", "cartridge or bullet")
	fl.IntVar(&f.firearms, "firearms", 0, "firearms (cartridges) or barrels (bullets)")
	fl.IntVar(&f.shots, "shots", 0, "firings per firearm (cartridges) or bullets per barrel")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed: the same seed writes the same scans")
	fl.Float64Var(&f.spacing, "spacing", 0, "lateral spacing in µm (default 6.25 cartridges, 1.5625 bullets)")
	fl.Float64Var(&f.snr, "snr", 0, "signal-to-noise ratio of the reproducible marks (default 2)")
	fl.BoolVar(&f.raw, "raw", false, "cartridges: raw-looking scans (tilt, curvature, firing-pin impression, NaN outside the primer)")
	fl.IntVar(&f.size, "size", 0, "cartridges: scan width and height in points (default 400)")
	fl.Float64Var(&f.rotation, "rotation-range", 0, "cartridges: firing rotation range ± degrees (default 30)")
	fl.Float64Var(&f.consecutive, "consecutive-weight", 0, "cartridges: share of the breech-face field common to all firearms (0–0.9)")
	fl.BoolVar(&f.classMarks, "class-marks", false, "cartridges: add machining lines shared by all firearms")
	fl.IntVar(&f.lands, "lands", 0, "bullets: lands per barrel (default 6)")
	fl.BoolVar(&f.damage, "damage", false, "bullets: add break-off, tank rash and missing bands")
	fl.BoolVar(&f.noShuffle, "no-shuffle", false, "bullets: scan every bullet from land 1 (no random phase)")
	fl.Float64Var(&f.landWidth, "land-width", 0, "bullets: scanned land width in µm (default 2000)")
	fl.Float64Var(&f.landHeight, "land-height", 0, "bullets: scanned land height in µm (default 600)")
	return cmd
}

func runSynth(cmd *cobra.Command, f synthFlags) error {
	if f.out == "" {
		return errors.New("synth: give the output directory with --out DIR")
	}
	if f.firearms < 1 || f.shots < 1 {
		return fmt.Errorf("synth: --firearms and --shots must be at least 1 (got %d and %d)", f.firearms, f.shots)
	}
	var (
		each   func(fn func(synth.Scan) error) error
		header []string
		row    func(file string, s synth.Scan) []string
		total  int
	)
	switch f.kind {
	case "cartridge", "cartridges":
		cfg := synth.CartridgeConfig{
			Firearms: f.firearms, Shots: f.shots, Seed: f.seed, SpacingUM: f.spacing, SizePX: f.size,
			NoiseSNR: f.snr, RotationRangeDeg: f.rotation, ConsecutiveWeight: f.consecutive,
			ClassMarks: f.classMarks, Raw: f.raw,
		}
		each = func(fn func(synth.Scan) error) error { return synth.EachCartridge(cfg, fn) }
		header = []string{"file", "source_id", "rotation_deg", "shift_x_um", "shift_y_um"}
		row = func(file string, s synth.Scan) []string {
			return []string{file, s.Truth.SourceID, fmtFloat(s.Truth.RotationDeg), fmtFloat(s.Truth.ShiftXUM), fmtFloat(s.Truth.ShiftYUM)}
		}
		total = f.firearms * f.shots
	case "bullet", "bullets":
		cfg := synth.BulletConfig{
			Barrels: f.firearms, Bullets: f.shots, Lands: f.lands, Seed: f.seed, SpacingUM: f.spacing,
			NoiseSNR: f.snr, Damage: f.damage, ShuffleLands: !f.noShuffle,
			LandWidthUM: f.landWidth, LandHeightUM: f.landHeight,
		}
		each = func(fn func(synth.Scan) error) error { return synth.EachBullet(cfg, fn) }
		header = []string{"file", "bullet_id", "land", "source_id", "barrel_id",
			"barrel_land", "shift_x_um", "groove_left_um", "groove_right_um", "break_off_um"}
		row = func(file string, s synth.Scan) []string {
			tr := s.Truth
			return []string{file, tr.BulletID, strconv.Itoa(tr.Land), tr.LandSourceID, tr.SourceID,
				strconv.Itoa(tr.BarrelLand), fmtFloat(tr.ShiftXUM), fmtFloat(tr.GrooveLeftUM), fmtFloat(tr.GrooveRightUM), fmtFloat(tr.BreakOffUM)}
		}
		lands := f.lands
		if lands == 0 {
			lands = synth.DefaultLands
		}
		total = f.firearms * f.shots * lands
	default:
		return fmt.Errorf("synth: --kind %q: want cartridge or bullet", f.kind)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	truthPath := filepath.Join(f.out, "ground_truth.csv")
	tf, err := os.Create(truthPath)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	defer tf.Close()
	w := csv.NewWriter(tf)
	if err := w.Write(header); err != nil {
		return fmt.Errorf("synth: writing %s: %w", truthPath, err)
	}

	bar := newProgressBar(cmd.ErrOrStderr(), total, "synth "+f.kind,
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetVisibility(total >= 20 && isTerminal(cmd.ErrOrStderr())),
	)
	// Generation is sequential (deterministic order); X3P encoding runs on
	// the other cores.
	g, ctx := errgroup.WithContext(cmd.Context())
	scans := make(chan synth.Scan, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		g.Go(func() error {
			for s := range scans {
				name := filepath.Join(f.out, s.Name+".x3p")
				if err := x3p.WriteFile(name, synthFile(s, f.seed)); err != nil {
					return fmt.Errorf("synth: %w", err)
				}
				_ = bar.Add(1)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(scans)
		return each(func(s synth.Scan) error {
			if err := w.Write(row(s.Name+".x3p", s)); err != nil {
				return fmt.Errorf("synth: writing %s: %w", truthPath, err)
			}
			select {
			case scans <- s:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	})
	if err := g.Wait(); err != nil {
		return err
	}
	_ = bar.Finish()
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("synth: writing %s: %w", truthPath, err)
	}
	if err := tf.Close(); err != nil {
		return fmt.Errorf("synth: writing %s: %w", truthPath, err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %d %s scans and %s\n", total, f.kind, truthPath)
	return nil
}

// synthFile wraps a synthetic scan as an X3P file with float32 heights and a
// Record2 that says where it came from.
func synthFile(s synth.Scan, seed uint64) *x3p.File {
	f := x3p.New(s.Surface)
	f.Header.Z.DataType = x3p.TypeFloat32
	f.Header.Record2 = &x3p.Record2{
		Creator:       "tracemark synth",
		Instrument:    x3p.Instrument{Manufacturer: "tracemark", Model: "synth " + s.Kind, Version: "seed " + strconv.FormatUint(seed, 10)},
		ProbingSystem: x3p.ProbingSystem{Type: "Software", Identification: "synthetic"},
		Comment:       fmt.Sprintf("synthetic %s %s of %s", s.Kind, s.Name, s.Truth.SourceID),
	}
	return f
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// compareFlags are shared by the cartridge-case and bullet comparisons.
type compareFlags struct {
	json    bool   // print a JSON result instead of text
	png     string // write an overlay image here
	bulletA []string
	bulletB []string

	// Cartridge cases only.
	mode        string // fast or exhaustive
	preset      string // preprocessing preset: default or cmcr
	processed   string // auto, yes or no: are the scans already processed?
	calibration string // score calibration JSON; empty = the shipped one
}

func newCompareCmd() *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Compare two cartridge cases (X3P files) or two bullets (folders of land X3P files)",
		Long: `Compare two exhibits and report how similar they are.

Two X3P files are compared as cartridge cases (breech face). Two folders, each
holding one X3P file per land, are compared as bullets; --bullet-a/--bullet-b
take explicit lists of land files instead.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(f.bulletA) > 0 || len(f.bulletB) > 0 {
				if len(args) != 0 {
					return errors.New("give either two paths or --bullet-a/--bullet-b lists, not both")
				}
				return runCompareBullets(cmd, f, f.bulletA, f.bulletB)
			}
			if len(args) != 2 {
				return fmt.Errorf("need two exhibits to compare, got %d", len(args))
			}
			aDir, bDir := isDir(args[0]), isDir(args[1])
			switch {
			case aDir && bDir:
				a, err := landFiles(args[0])
				if err != nil {
					return err
				}
				b, err := landFiles(args[1])
				if err != nil {
					return err
				}
				return runCompareBullets(cmd, f, a, b)
			case !aDir && !bDir:
				return runCompareCartridges(cmd, f, args[0], args[1])
			default:
				return errors.New("cannot compare a folder (bullet) with a file (cartridge case): give two files or two folders")
			}
		},
	}
	cmd.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&f.png, "png", "", "write an overlay image to this PNG file")
	cmd.Flags().StringVar(&f.mode, "mode", "fast", "cartridge cases: registration search, fast or exhaustive")
	cmd.Flags().StringVar(&f.preset, "preset", "default", "cartridge cases: settings, default or cmcr (cmcR's preprocessing and cell limits)")
	cmd.Flags().StringVar(&f.processed, "processed", "auto", "cartridge cases: are the scans already processed? auto, yes or no")
	cmd.Flags().StringVar(&f.calibration, "calibration", "", "cartridge cases: score calibration JSON (default: the shipped one)")
	cmd.Flags().StringSliceVar(&f.bulletA, "bullet-a", nil, "land X3P files of bullet A, in land order")
	cmd.Flags().StringSliceVar(&f.bulletB, "bullet-b", nil, "land X3P files of bullet B, in land order")
	return cmd
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

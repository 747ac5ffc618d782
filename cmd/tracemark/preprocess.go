package main

import (
	"encoding/json"
	"fmt"
	"image"
	"os"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/x3p"
)

func newPreprocessCmd() *cobra.Command {
	var out, png, preset string
	var processed, asJSON bool
	cmd := &cobra.Command{
		Use:   "preprocess FILE -o OUT.x3p",
		Short: "Preprocess a breech-face scan for cartridge-case comparison",
		Long: `Preprocess a raw breech-face scan: exterior crop, firing-pin hole removal,
robust de-trend, Gaussian band-pass, decimation to 6.25 µm, edge erosion and
trim. Presets: default (Chen 2017: 16–250 µm, ISO 16610-61 normalised
convolution) and cmcr (cmcR-compatible: 16–500 µm with the cmcR kernel).
--processed declares an already processed scan (like the Fadul set): only the
unit check, resampling to 6.25 µm, trim and suitability checks run.

Bullet lands and surfaces with too little valid area are refused with the
reason and the measured area.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("preprocess: give the output file with -o OUT.x3p")
			}
			cfg, err := cartridge.PreprocessPreset(preset)
			if err != nil {
				return err
			}
			cfg.Processed = processed
			p, err := cartridge.LoadScan(args[0], cfg)
			if err != nil {
				return err
			}
			if err := x3p.WriteFile(out, x3p.New(p.Map)); err != nil {
				return err
			}
			if png != "" {
				if err := savePNG(png, render.Relief(p.Map, render.Options{Colour: true})); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(p)
			}
			for _, s := range p.Steps {
				fmt.Fprintf(w, "%-14s %4d×%-4d %6.2f mm²  %s\n", s.Name, s.NX, s.NY, s.Area, s.Detail)
			}
			for _, m := range p.Warnings {
				fmt.Fprintln(w, "warning:", m)
			}
			fmt.Fprintf(w, "wrote %s (%d×%d at %g µm, valid area %.2f mm²)\n", out, p.Map.NX, p.Map.NY, p.Map.DX, p.AreaMM2)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the processed scan to this X3P file")
	cmd.Flags().StringVar(&png, "png", "", "also write a relief image of the result to this PNG file")
	cmd.Flags().StringVar(&preset, "preset", "default", "preprocessing preset: default or cmcr")
	cmd.Flags().BoolVar(&processed, "processed", false, "the scan is already processed: only check and resample")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the steps as JSON")
	return cmd
}

// savePNG writes img to the named PNG file.
func savePNG(path string, img *image.NRGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := render.WritePNG(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

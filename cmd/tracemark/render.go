package main

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tracemark/tracemark/internal/render"
	"github.com/tracemark/tracemark/internal/x3p"
)

func newRenderCmd() *cobra.Command {
	var (
		out  string
		opt  render.Options
		azEl [2]float64
	)
	cmd := &cobra.Command{
		Use:   "render FILE.x3p -o OUT.png",
		Short: "Draw a scan as a shaded relief PNG (missing points transparent, µm scale bar)",
		Long: `Draw a scan as a shaded relief: the surface lit by a distant light from the
given azimuth (degrees clockwise from the top of the image) and elevation, optionally
tinted by height with the viridis colour map (1–99 % of the heights). Missing points
are transparent. Row 0 of the scan is drawn at the top, as x3ptools shows it (bullet
lands in CSAFE's orientation then have their base at the bottom); --y-up flips that.`,
		Example: `  tracemark render "Fadul 1-1.x3p" -o fadul.png --colour
  tracemark render land.x3p -o land.png --azimuth 270 --elevation 30 --max-width 800`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("render: give the output file with -o OUT.png (or -o - for stdout)")
			}
			if azEl[1] < 0 || azEl[1] > 90 {
				return fmt.Errorf("render: --elevation %g is outside 0–90 degrees", azEl[1])
			}
			if opt.Exaggeration < 0 {
				return fmt.Errorf("render: --exaggeration %g must be positive (0 = automatic)", opt.Exaggeration)
			}
			f, err := x3p.ReadFile(args[0])
			if err != nil {
				return err
			}
			for _, w := range f.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s: %s\n", args[0], w.Message)
			}
			if f.Surface == nil {
				return fmt.Errorf("render: %s is a point cloud; render needs a gridded surface (SUR or PRF)", args[0])
			}
			opt.AzimuthDeg, opt.ElevationDeg = azEl[0], azEl[1]
			if opt.ElevationDeg == 0 && opt.AzimuthDeg == 0 {
				// Relief would read (0, 0) as "defaults"; a light at the horizon is what was asked.
				opt.ElevationDeg = 1e-9
			}
			img := render.Relief(f.Surface, opt)
			if out == "-" {
				return writePNG(cmd.OutOrStdout(), img)
			}
			file, err := os.Create(out)
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			err = writePNG(file, img)
			if cerr := file.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("render: writing %s: %w", out, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d×%d px)\n", out, img.Rect.Dx(), img.Rect.Dy())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output PNG file (- for stdout)")
	fl.Float64Var(&azEl[0], "azimuth", 315, "light azimuth, degrees clockwise from the top of the image")
	fl.Float64Var(&azEl[1], "elevation", 45, "light elevation above the horizon, degrees (0–90)")
	fl.BoolVar(&opt.Colour, "colour", false, "tint by height (viridis, 1–99 % of the heights)")
	fl.Float64Var(&opt.Exaggeration, "exaggeration", 0, "vertical exaggeration (0 = automatic, 1 = true slopes)")
	fl.IntVar(&opt.MaxWidth, "max-width", 0, "shrink to at most this many pixels wide (0 = full size)")
	fl.BoolVar(&opt.NoScaleBar, "no-scale-bar", false, "omit the µm scale bar")
	fl.BoolVar(&opt.YUp, "y-up", false, "draw row 0 at the bottom (y pointing up)")
	fl.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "color" { // accept the American spelling
			name = "colour"
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}

// writePNG encodes img to w through a buffer.
func writePNG(w io.Writer, img *image.NRGBA) error {
	bw := bufio.NewWriter(w)
	if err := render.WritePNG(bw, img); err != nil {
		return err
	}
	return bw.Flush()
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/x3p"
)

func newX3PCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "x3p",
		Short: "Inspect and validate ISO 5436-2 X3P scan files",
	}
	cmd.AddCommand(newX3PInfoCmd(), newX3PValidateCmd())
	return cmd
}

func newX3PInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE",
		Short: "Print size, spacing, instrument, dates, checksum status, missing points and height range",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := x3p.ReadFile(args[0])
			if err != nil {
				return err
			}
			info := f.Info()
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					File string `json:"file"`
					x3p.Info
				}{args[0], info})
			}
			return printInfo(out, args[0], info)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func printInfo(w io.Writer, name string, in x3p.Info) error {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-16s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	line("file", "%s", name)
	line("feature type", "%s", in.FeatureType)
	if in.SpacingX > 0 {
		line("size", "%d × %d points (x × y)", in.SizeX, in.SizeY)
		line("spacing", "%.6g × %.6g µm", in.SpacingX, in.SpacingY)
		line("origin", "%.6g, %.6g µm", in.OriginX, in.OriginY)
	} else {
		line("size", "%d points (point cloud)", in.Points)
	}
	if in.SizeZ > 1 {
		line("layers", "%d (layer 1 read)", in.SizeZ)
	}
	line("units", "file in %s; shown in µm", in.FileUnits)
	line("z type", "%s (%s)", in.ZType, in.ZTypeName)
	line("data", "%s", in.DataSource)
	if r := in.Record2; r != nil {
		inst := strings.TrimSpace(strings.Join([]string{r.Instrument.Manufacturer, r.Instrument.Model}, " "))
		if r.Instrument.Serial != "" {
			inst += ", serial " + r.Instrument.Serial
		}
		if r.Instrument.Version != "" {
			inst += ", version " + r.Instrument.Version
		}
		line("instrument", "%s", inst)
		if r.ProbingSystem.Type != "" || r.ProbingSystem.Identification != "" {
			line("probing", "%s %s", r.ProbingSystem.Type, r.ProbingSystem.Identification)
		}
		line("date", "%s", r.Date)
		line("calibrated", "%s", r.CalibrationDate)
		line("creator", "%s", r.Creator)
		if r.Comment != "" {
			line("comment", "%s", r.Comment)
		}
	} else {
		line("metadata", "none (no Record2)")
	}
	c := in.Checksums
	line("checksums", "data.bin %s, main.xml %s", c.Data, c.Main)
	if c.Valid != "" {
		line("", "valid.bin %s", c.Valid)
	}
	line("missing points", "%.4f (%.1f %%)", in.NaNFraction, 100*in.NaNFraction)
	if in.HeightMin != nil {
		line("height range", "%.6g … %.6g µm", *in.HeightMin, *in.HeightMax)
	} else {
		line("height range", "no valid point")
	}
	if m := in.Mask; m != nil {
		desc := "CSAFE <Mask> block"
		if m.PNG {
			desc += " and " + m.Link
		}
		line("mask", "%s, %d annotations", desc, len(m.Annotations))
	} else {
		line("mask", "none")
	}
	if in.Extensions > 0 {
		line("extensions", "%d unknown/vendor elements kept", in.Extensions)
	}
	for _, wn := range in.Warnings {
		line("warning", "%s", wn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func newX3PValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check X3P files; one line per file, exit status 1 if any file is bad",
		Long: "validate reads each file completely (zip, main.xml, sizes, data, valid bits, mask, checksums).\n" +
			"It prints \"ok\" or the reason per file; warnings (such as checksum mismatches) are shown\n" +
			"but do not fail the file.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			bad := 0
			for _, name := range args {
				f, err := x3p.ReadFile(name)
				if err != nil {
					bad++
					fmt.Fprintf(out, "%s: FAIL: %v\n", name, err)
					continue
				}
				msg := "ok"
				if n := len(f.Warnings); n > 0 {
					ws := make([]string, n)
					for i, w := range f.Warnings {
						ws[i] = w.String()
					}
					msg += fmt.Sprintf(" (%d warning(s): %s)", n, strings.Join(ws, "; "))
				}
				fmt.Fprintf(out, "%s: %s\n", name, msg)
			}
			if bad > 0 {
				return exitError{1}
			}
			return nil
		},
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/report"
)

func newReportCmd() *cobra.Command {
	var kind, in, lang, out, templates string
	cmd := &cobra.Command{
		Use:   "report --kind KIND --in data.json --lang LANG -o out.pdf",
		Short: "Render an expert report, review sheet, trace request or evidence receipt as PDF",
		Long: "Renders a document from a JSON file of report.Data. KIND is comparison, case, review-sheet,\n" +
			"trace-request or receipt; LANG is en, ru, kk, uz-Latn, ky, tg or tk. Prints the SHA-256 of the PDF.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" {
				return fmt.Errorf("report: --in and -o are required")
			}
			raw, err := os.ReadFile(in)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			var d report.Data
			if err := json.Unmarshal(raw, &d); err != nil {
				return fmt.Errorf("report: %s: %w", in, err)
			}
			if kind != "" {
				d.Kind = report.Kind(kind)
			}
			return writeReport(cmd, &d, lang, templates, out)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "document kind (overrides the kind in the data file)")
	cmd.Flags().StringVar(&in, "in", "", "JSON file with the report data")
	cmd.Flags().StringVar(&lang, "lang", "en", "language: en, ru, kk, uz-Latn, ky, tg, tk")
	cmd.Flags().StringVarP(&out, "output", "o", "", "PDF file to write")
	cmd.PersistentFlags().StringVar(&templates, "templates", "", "laboratory template directory (template.json, logo, messages/<lang>.json)")
	cmd.AddCommand(newReportDemoCmd(&templates))
	return cmd
}

func newReportDemoCmd(templates *string) *cobra.Command {
	var lang, out, a, b string
	cmd := &cobra.Command{
		Use:   "demo --lang LANG -o out.pdf",
		Short: "Compare two real Fadul cartridge-case scans and write a comparison report",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("report demo: -o is required")
			}
			d, err := report.DemoData(a, b, time.Now().UTC().Truncate(time.Minute))
			if err != nil {
				return err
			}
			return writeReport(cmd, d, lang, *templates, out)
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "en", "language: en, ru, kk, uz-Latn, ky, tg, tk")
	cmd.Flags().StringVarP(&out, "output", "o", "", "PDF file to write")
	cmd.Flags().StringVar(&a, "a", filepath.Join("internal", "x3p", "testdata", "Fadul 1-1.x3p"), "first X3P scan")
	cmd.Flags().StringVar(&b, "b", filepath.Join("internal", "x3p", "testdata", "Fadul 1-2.x3p"), "second X3P scan")
	return cmd
}

func writeReport(cmd *cobra.Command, d *report.Data, lang, templates, out string) error {
	t, err := report.LoadTemplates(templates)
	if err != nil {
		return err
	}
	o, err := report.Render(d, lang, t)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, o.PDF, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %d pages)\nsha256 %s\n", out, o.Number, o.Pages, o.SHA256)
	return nil
}

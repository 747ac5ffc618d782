package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/report/casefile"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
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
	cmd.AddCommand(newReportDemoCmd(&templates), newReportCaseCmd(&templates))
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

func newReportCaseCmd(templates *string) *cobra.Command {
	var dataDir, dbURL, blobsURL, agencyCode, number, conclusion, reader, lang, out, issued, zone string
	cmd := &cobra.Command{
		Use:   "case --data DIR --case NUMBER --lang LANG -o out.pdf",
		Short: "Render the expert report of a stored case (or of one conclusion) as the workstation does",
		Long: "Reads the case, its exhibits, custody, scans and conclusions from the node's records and renders\n" +
			"the same PDF as POST /api/cases/{id}/report (or /api/conclusions/{id}/report with --conclusion) for\n" +
			"the same --issued time. The report's SHA-256 is recorded in the audit trail (actor \"console\").\n" +
			"Conclusions awaiting verification are left out unless --as names their examiner.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || (number == "") == (conclusion == "") {
				return fmt.Errorf("report case: -o and one of --case or --conclusion are required")
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			var at time.Time
			if issued != "" {
				var err error
				if at, err = time.Parse(time.RFC3339, issued); err != nil {
					return fmt.Errorf("report case: --issued %q is not an RFC 3339 time such as 2026-11-27T09:30:00Z", issued)
				}
			}
			if dbURL == "" {
				dbURL = filepath.Join(dataDir, "tracemark.db")
			}
			if blobsURL == "" {
				blobsURL = filepath.Join(dataDir, "blobs")
			}
			st, err := store.Open(ctx, dbURL)
			if err != nil {
				return fmt.Errorf("report case: opening the database: %w", err)
			}
			defer st.Close()
			blobs, err := server.OpenBlobs(ctx, blobsURL)
			if err != nil {
				return err
			}
			ag, err := st.AgencyByCode(ctx, agencyCode)
			if err != nil {
				return fmt.Errorf("report case: agency %q: %w", agencyCode, err)
			}
			req := casefile.Request{Agency: ag.ID, Conclusion: store.ConclusionID(conclusion), IssuedAt: at, TimeZone: zone}
			if number != "" {
				cs, err := st.CaseByNumber(ctx, ag.ID, number)
				if err != nil {
					return fmt.Errorf("report case: case %q of %s: %w", number, agencyCode, err)
				}
				req.Case = cs.ID
			}
			if reader != "" {
				u, err := st.UserByName(ctx, reader)
				if err != nil || u.AgencyID != ag.ID {
					return fmt.Errorf("report case: --as %q is not a user of %s", reader, agencyCode)
				}
				req.Reader = u.ID
			}
			t, err := report.LoadTemplates(*templates)
			if err != nil {
				return err
			}
			o, d, err := casefile.Render(ctx, casefile.Sources{Store: st, Blobs: blobs}, req, lang, t)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, o.PDF, 0o644); err != nil {
				return fmt.Errorf("report case: %w", err)
			}
			object, id := "case", string(d.Case.ID)
			if conclusion != "" {
				object, id = "conclusion", conclusion
			}
			if _, err := audit.New(st, nil).Append(ctx, audit.Record{Agency: string(ag.ID), Actor: "console", Action: "report.render",
				ObjectType: object, ObjectID: id, CaseID: string(d.Case.ID), Details: casefile.AuditDetails(o, d, lang)}); err != nil {
				return fmt.Errorf("report case: %s written, but its hash was not recorded in the audit trail: %w", out, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s, %d pages, %d comparisons)\nsha256 %s\n", out, o.Number, o.Pages, len(d.Comparisons), o.SHA256)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", server.DefaultDataDir, "data folder of the node (tracemark.db and blobs/)")
	f.StringVar(&dbURL, "db", "", "database URL (default DATA/tracemark.db)")
	f.StringVar(&blobsURL, "blobs", "", "blob store folder or S3 URL (default DATA/blobs)")
	f.StringVar(&agencyCode, "agency", server.DefaultAgencyCode, "agency code")
	f.StringVar(&number, "case", "", "case number")
	f.StringVar(&conclusion, "conclusion", "", "conclusion ID (a comparison report instead of the case report)")
	f.StringVar(&reader, "as", "", "username of the reader (their own pending conclusions are included)")
	f.StringVar(&lang, "lang", "en", "language: en, ru, kk, uz-Latn, ky, tg, tk")
	f.StringVarP(&out, "output", "o", "", "PDF file to write")
	f.StringVar(&issued, "issued", "", "report date, RFC 3339 (default now, to the minute)")
	f.StringVar(&zone, "time-zone", "", "IANA time zone of the dates shown (default UTC)")
	return cmd
}

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/tracing"
)

// auditRecord is an audit entry of a console command (no signed-in user).
func auditRecord(action, peer string, details map[string]any) audit.Record {
	details["via"] = "console"
	return audit.Record{Action: action, ObjectType: "peer", ObjectID: peer, Details: details}
}

func newExchangeCmd() *cobra.Command {
	var (
		nf     nodeFlags
		ff     federationFlags
		agency string
	)
	cmd := &cobra.Command{
		Use:   "exchange",
		Short: "Export, import and verify signed exchange bundles",
		Long: `A bundle is a zip of records (cases, exhibits, scans, firearms as JSON), the
original scan files byte for byte and a manifest of their SHA-256 hashes,
signed with this node's Ed25519 key. Import verifies the signature against the
trusted peers (tracemark peer add) and every hash, refuses a tampered or
already imported bundle with the reason, and keeps the records' origin.`,
	}
	nf.register(cmd)
	ff.register(cmd, false)
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())

	var sel struct{ exhibits, scans, firearms, cases []string }
	var out, to string
	export := &cobra.Command{Use: "export", Short: "Write selected records as a signed bundle for a peer", Args: cobra.NoArgs,
		Long: `export writes the selected records as a bundle signed by this node for the
peer --to (its key fingerprint, tracemark peer list). The agency's sharing
rules must let each kind of record go to that peer in full (tracemark peer
share); otherwise the export is refused with the reason.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("give --out FILE.zip")
			}
			if to == "" {
				return errors.New("give --to FINGERPRINT: the peer the bundle is for (tracemark peer list)")
			}
			n, ag, err := openFederated(cmd.Context(), &nf, &ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			s := federation.Selection{To: to, Exhibits: ids[domain.ExhibitID](sel.exhibits), Scans: ids[domain.ScanID](sel.scans),
				Firearms: ids[tracing.FirearmID](sel.firearms), Cases: ids[domain.CaseID](sel.cases)}
			var buf bytes.Buffer
			m, err := n.Federation.Export(cmd.Context(), &buf, ag.ID, n.User.ID, s)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bundle %s: %d members, %d bytes, signed by %s (%s)\n", m.BundleID, len(m.Members), buf.Len(), m.Exporter.Node, m.Exporter.Fingerprint)
			return nil
		}}
	export.Flags().StringSliceVar(&sel.exhibits, "exhibit", nil, "exhibit ID (with its case and scans); repeatable")
	export.Flags().StringSliceVar(&sel.scans, "scan", nil, "scan ID (with its exhibit and case); repeatable")
	export.Flags().StringSliceVar(&sel.firearms, "firearm", nil, "firearm ID (with its test fires); repeatable")
	export.Flags().StringSliceVar(&sel.cases, "case", nil, "case ID (the case record only); repeatable")
	export.Flags().StringVar(&out, "out", "", "bundle file to write")
	export.Flags().StringVar(&to, "to", "", "key fingerprint of the peer the bundle is for (required)")

	imp := &cobra.Command{Use: "import BUNDLE.zip", Short: "Verify a bundle and import its records with their origin", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			n, ag, err := openFederated(cmd.Context(), &nf, &ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			res, err := n.Federation.Import(cmd.Context(), ag.ID, n.User.ID, n.Ingester, bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return err
			}
			o := res.Origin
			fmt.Fprintf(cmd.OutOrStdout(), "imported bundle %s from %s (%s, %s) exported %s: %d cases, %d exhibits, %d scans (%d made searchable), %d firearms; %d already held\n",
				o.BundleID, o.Node, o.Agency, o.Country, o.ExportedAt.Format("2006-01-02 15:04"), res.Counts.Cases, res.Counts.Exhibits,
				res.Counts.Scans, res.Indexed, res.Counts.Firearms, res.Counts.Existing)
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			return nil
		}}

	verify := &cobra.Command{Use: "verify BUNDLE.zip", Short: "Check a bundle's signature and hashes without importing it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			n, _, err := openFederated(cmd.Context(), &nf, &ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			b, err := n.Federation.Verify(cmd.Context(), bytes.NewReader(data), int64(len(data)))
			var te *exchange.TamperError
			if errors.As(err, &te) {
				fmt.Fprintln(cmd.OutOrStdout(), te.Error())
				return exitError{1}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "valid: bundle %s from %s (%s, %s), %d members, signed by %s\n", b.Origin.BundleID, b.Origin.Node,
				b.Origin.Agency, b.Origin.Country, len(b.Manifest.Members), b.Origin.Fingerprint)
			return nil
		}}
	cmd.AddCommand(export, imp, verify)
	return cmd
}

func ids[T ~string](ss []string) []T {
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = T(s)
	}
	return out
}

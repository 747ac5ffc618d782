package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/exchange"
)

// newPeerShareCmd adds a sharing rule of an agency: what may go to a peer.
func newPeerShareCmd(nf *nodeFlags, ff *federationFlags) *cobra.Command {
	var (
		agency, detail, note string
		kinds                []string
	)
	cmd := &cobra.Command{Use: "share FINGERPRINT|*", Short: "Let records of an agency go to a peer (a sharing rule)",
		Long: `share adds a sharing rule of the agency (--agency, default the node's): records
of the given --kind (exhibits, firearms, cases, trace_requests; repeatable) may
go to the peer with that key fingerprint, or to every trusted peer with '*', at
--detail scores, thumbnails or full. Federated searches, exchange bundles and
trace requests are refused what no active rule grants. A bundle carries records
in full, so exporting needs --detail full.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ag, err := openFederated(cmd.Context(), nf, ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			if args[0] != exchange.AnyPeer {
				if _, err := n.Store.PeerByFingerprint(cmd.Context(), args[0]); err != nil {
					return fmt.Errorf("peer %s: %w (tracemark peer list shows the registered ones)", args[0], err)
				}
			}
			r := exchange.SharingRule{Owner: ag.ID, Peer: args[0], Detail: exchange.Detail(detail), CreatedBy: n.User.ID, Note: note}
			for _, k := range kinds {
				r.Kinds = append(r.Kinds, exchange.RecordKind(k))
			}
			if r, err = n.Store.CreateSharingRule(cmd.Context(), r); err != nil {
				return err
			}
			if _, err := n.Audit.Append(cmd.Context(), auditRecord("sharing_rule.create", r.Peer, map[string]any{"rule": r.ID, "agency": ag.Code,
				"kinds": r.Kinds, "detail": r.Detail})); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule %s: %s shares %s with %s at %s\n", r.ID, ag.Code, joinKinds(r.Kinds), r.Peer, r.Detail)
			return nil
		}}
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "record kind: exhibits, firearms, cases or trace_requests (required; repeatable)")
	cmd.Flags().StringVar(&detail, "detail", "", "scores, thumbnails or full (required)")
	cmd.Flags().StringVar(&note, "note", "", "why (kept with the rule)")
	return cmd
}

// newPeerRulesCmd lists an agency's sharing rules.
func newPeerRulesCmd(nf *nodeFlags, ff *federationFlags) *cobra.Command {
	var agency string
	cmd := &cobra.Command{Use: "rules", Short: "List an agency's sharing rules, revoked ones included", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, ag, err := openFederated(cmd.Context(), nf, ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			rules, err := n.Store.SharingRules(cmd.Context(), ag.ID)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tPEER\tKINDS\tDETAIL\tSTATUS")
			for _, r := range rules {
				status := "active"
				if !r.RevokedAt.IsZero() {
					status = "revoked " + r.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Peer, joinKinds(r.Kinds), r.Detail, status)
			}
			return tw.Flush()
		}}
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	return cmd
}

// newPeerUnshareCmd revokes a sharing rule.
func newPeerUnshareCmd(nf *nodeFlags, ff *federationFlags) *cobra.Command {
	var agency string
	cmd := &cobra.Command{Use: "unshare RULE-ID", Short: "Revoke a sharing rule from now on", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ag, err := openFederated(cmd.Context(), nf, ff, agency)
			if err != nil {
				return err
			}
			defer n.Close()
			r, err := n.Store.RevokeSharingRule(cmd.Context(), ag.ID, exchange.RuleID(args[0]), n.User.ID)
			if err != nil {
				return err
			}
			if _, err := n.Audit.Append(cmd.Context(), auditRecord("sharing_rule.revoke", r.Peer, map[string]any{"rule": r.ID, "agency": ag.Code})); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rule %s revoked at %s\n", r.ID, r.RevokedAt.Format(time.RFC3339))
			return nil
		}}
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	return cmd
}

func joinKinds(ks []exchange.RecordKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/federation"
	"github.com/tracemark/tracemark/internal/server"
)

// federationFlags name this node to its peers and where it answers them.
type federationFlags struct{ server.FederationConfig }

func (f *federationFlags) register(cmd *cobra.Command, listener bool) {
	cmd.Flags().StringVar(&f.Node, "node", "", "this node's name for its peers (default: the default agency's code, lower-cased)")
	cmd.Flags().StringVar(&f.Country, "country", "", "this node's ISO 3166-1 alpha-2 country (default: the default agency's); exchange and federation need one")
	if listener {
		cmd.Flags().StringVar(&f.Addr, "federation-addr", "", "HOST:PORT where peers search this node over mutual TLS (default: not served)")
		cmd.Flags().StringVar(&f.URL, "federation-url", "", "URL peers call, for the node's card (default https://FEDERATION-ADDR)")
	}
}

// openFederated opens the node of nf (no queue) with exchange and
// federation on, and the agency named by code ("" for the default one).
func openFederated(ctx context.Context, nf *nodeFlags, ff *federationFlags, code string) (*server.Node, domain.Agency, error) {
	cfg := nf.config()
	cfg.Federation = ff.FederationConfig
	n, err := server.OpenLocal(ctx, cfg)
	if err != nil {
		return nil, domain.Agency{}, err
	}
	if n.Federation == nil {
		n.Close()
		return nil, domain.Agency{}, fmt.Errorf("exchange needs the node's country: give --country (ISO 3166-1 alpha-2, e.g. KZ)")
	}
	ag := n.Agency
	if code != "" {
		if ag, err = n.Store.AgencyByCode(ctx, code); err != nil {
			n.Close()
			return nil, domain.Agency{}, fmt.Errorf("agency %q: %w", code, err)
		}
	}
	return n, ag, nil
}

func newPeerCmd() *cobra.Command {
	var (
		nf nodeFlags
		ff federationFlags
	)
	cmd := &cobra.Command{
		Use:   "peer",
		Short: "Register, list and revoke peer nodes (federation and bundle exchange)",
		Long: `Nodes of different agencies trust each other by exchanging cards: 'tracemark
peer card' prints this node's (names, Ed25519 exchange key, the fingerprint of
its federation TLS certificate, URL); the other side's operators register it
with 'tracemark peer add CARD.json' after comparing the fingerprints by
another channel (telephone, letter). Revoking a peer refuses its searches and
its bundles from then on. 'tracemark peer share' sets what each agency lets go
to a peer (sharing rules); nothing leaves without one.`,
	}
	nf.register(cmd)
	ff.register(cmd, false)
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.AddCommand(
		&cobra.Command{Use: "card", Short: "Print this node's card (JSON) for its peers", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				n, _, err := openFederated(cmd.Context(), &nf, &ff, "")
				if err != nil {
					return err
				}
				defer n.Close()
				return printJSON(cmd.OutOrStdout(), n.Federation.Card())
			}},
		&cobra.Command{Use: "add CARD.json", Short: "Trust the node of a card (- reads standard input)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var r io.Reader = cmd.InOrStdin()
				if args[0] != "-" {
					f, err := os.Open(args[0])
					if err != nil {
						return err
					}
					defer f.Close()
					r = f
				}
				var card federation.Card
				dec := json.NewDecoder(io.LimitReader(r, 1<<20))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&card); err != nil {
					return fmt.Errorf("%s is not a peer card (tracemark peer card prints one): %w", args[0], err)
				}
				p, err := card.Peer()
				if err != nil {
					return err
				}
				n, _, err := openFederated(cmd.Context(), &nf, &ff, "")
				if err != nil {
					return err
				}
				defer n.Close()
				p.AddedBy = n.User.ID
				if p, err = n.Store.AddPeer(cmd.Context(), p); err != nil {
					return err
				}
				if _, err := n.Audit.Append(cmd.Context(), auditRecord("peer.add", p.Fingerprint, map[string]any{"node": p.Node, "country": p.Country, "cert": p.CertFingerprint, "url": p.URL})); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "trusted %s (%s) key %s certificate %s at %s\n", p.Node, p.Country, p.Fingerprint, p.CertFingerprint, p.URL)
				return nil
			}},
		&cobra.Command{Use: "list", Short: "List peers, revoked ones included", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				n, _, err := openFederated(cmd.Context(), &nf, &ff, "")
				if err != nil {
					return err
				}
				defer n.Close()
				ps, err := n.Store.Peers(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE\tCOUNTRY\tAGENCY\tKEY\tURL\tSTATUS")
				for _, p := range ps {
					status := "trusted"
					if !p.RevokedAt.IsZero() {
						status = "revoked " + p.RevokedAt.Format(time.RFC3339) + ": " + p.RevokeReason
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Node, p.Country, p.Agency, p.Fingerprint, p.URL, status)
				}
				return tw.Flush()
			}},
		newPeerRevokeCmd(&nf, &ff),
		newPeerShareCmd(&nf, &ff),
		newPeerRulesCmd(&nf, &ff),
		newPeerUnshareCmd(&nf, &ff),
	)
	return cmd
}

func newPeerRevokeCmd(nf *nodeFlags, ff *federationFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{Use: "revoke FINGERPRINT", Short: "Stop trusting a peer's key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, _, err := openFederated(cmd.Context(), nf, ff, "")
			if err != nil {
				return err
			}
			defer n.Close()
			p, err := n.Store.RevokePeer(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			if _, err := n.Audit.Append(cmd.Context(), auditRecord("peer.revoke", p.Fingerprint, map[string]any{"node": p.Node, "reason": reason})); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s (%s) at %s\n", p.Node, p.Fingerprint, p.RevokedAt.Format(time.RFC3339))
			return nil
		}}
	cmd.Flags().StringVar(&reason, "reason", "", "why the peer is no longer trusted (required, kept in the record and the audit log)")
	return cmd
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

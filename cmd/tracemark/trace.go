package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

func newTraceCmd() *cobra.Command {
	var (
		nf     nodeFlags
		ff     federationFlags
		agency string
	)
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Trace requests about firearms to and from other agencies and countries",
		Long: `A trace request asks another agency (on this node, or on a peer node with
--peer) to trace a firearm. It is a draft until sent; a request to a peer node
becomes sent only once that node has stored it (the agency needs a sharing
rule for trace_requests to that peer: tracemark peer share). If the peer cannot
be reached the request stays a draft that says why, and 'send' again retries;
a later change (acknowledged, answered, closed) that could not be delivered is
kept and retried the same way. Status: draft → sent → acknowledged → answered
→ closed.`,
	}
	nf.register(cmd)
	ff.register(cmd, false)
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.AddCommand(newTraceListCmd(&nf, &ff, &agency), newTraceCreateCmd(&nf, &ff, &agency), newTraceSendCmd(&nf, &ff, &agency),
		newTraceAnswerCmd(&nf, &ff, &agency), newTraceStatusCmd(&nf, &ff, &agency), newTraceShowCmd(&nf, &ff, &agency))
	return cmd
}

func newTraceListCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var direction, status string
	cmd := &cobra.Command{Use: "list", Short: "List the agency's incoming and outgoing trace requests", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			items, next, err := n.Store.ListTraceRequests(cmd.Context(), store.TraceFilter{Agency: ag.ID, Direction: store.TraceDirection(direction),
				Status: tracing.TraceStatus(status)}, store.Page{Limit: store.MaxLimit})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDIRECTION\tSTATUS\tOTHER PARTY\tFIREARM\tDEADLINE\tDELIVERY")
			for _, t := range items {
				dir, other := "incoming", t.Requester
				if t.Requester.AgencyID == ag.ID {
					dir, other = "outgoing", t.Addressee
				}
				deadline := "-"
				if !t.Deadline.IsZero() {
					deadline = t.Deadline.Format(time.DateOnly)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s, %s\t%s\t%s\n", t.ID, dir, t.Status, other.Agency, other.Country,
					describeFirearm(t.Firearm), serialOf(t.Firearm), deadline, deliveryOf(t))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "(first %d shown: narrow with --status or --direction)\n", store.MaxLimit)
			}
			return nil
		}}
	cmd.Flags().StringVar(&direction, "direction", "", "incoming, outgoing, or empty for both")
	cmd.Flags().StringVar(&status, "status", "", "only this status")
	return cmd
}

func deliveryOf(t tracing.TraceRequest) string {
	switch d := t.Delivery; {
	case t.Peer == "":
		return "this node"
	case d == nil:
		return "not sent"
	case d.Pending && d.Refused:
		return fmt.Sprintf("refused after %d attempts (fix the cause, then trace send): %s", d.Attempts, d.LastError)
	case d.Pending:
		return fmt.Sprintf("pending after %d attempts (retried by the server, or trace send): %s", d.Attempts, d.LastError)
	default:
		return "delivered " + d.DeliveredAt.Format(time.RFC3339)
	}
}

func newTraceCreateCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var (
		to, country, peer, firearmID, contact, deadline string
		desc                                            tracing.Firearm
		kind                                            string
		send                                            bool
		t                                               tracing.TraceRequest
	)
	cmd := &cobra.Command{Use: "create", Short: "Draft (or --send) a trace request about a firearm", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if to == "" {
				return errors.New("give --to: the code or name of the agency asked")
			}
			if firearmID == "" && desc.Make == "" && desc.SerialNumber == "" {
				return errors.New("give --firearm ID (a record of the agency) or describe it with --make and --serial")
			}
			n, ag, err := openAgencyNode(ctx, nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			t.Requester = tracing.Party{AgencyID: ag.ID, Agency: ag.Code, Country: ag.Country, Contact: contact}
			t.Addressee = tracing.Party{Agency: to, Country: country}
			t.CreatedBy = n.User.ID
			if deadline != "" {
				if t.Deadline, err = time.Parse(time.DateOnly, deadline); err != nil {
					return fmt.Errorf("--deadline %q: give a date as YYYY-MM-DD", deadline)
				}
			}
			if firearmID != "" {
				if t.Firearm, err = n.Store.Firearm(ctx, ag.ID, tracing.FirearmID(firearmID)); err != nil {
					return err
				}
				t.FirearmID = t.Firearm.ID
			} else {
				desc.Type = tracing.FirearmType(kind)
				t.Firearm = desc
			}
			switch {
			case peer != "":
				if n.Federation == nil {
					return errors.New("a request to another node needs this node's country: give --country")
				}
				p, err := n.Store.PeerByFingerprint(ctx, peer)
				if err != nil {
					return fmt.Errorf("peer %s: %w (tracemark peer list shows the registered ones)", peer, err)
				}
				t.Peer = p.Fingerprint
				if t.Addressee.Country == "" {
					t.Addressee.Country = p.Country
				}
			default:
				// Addressed to an agency of this node.
				local, err := n.Store.AgencyByCode(ctx, to)
				if err != nil {
					return fmt.Errorf("agency %q is not on this node: give --peer FINGERPRINT for an agency on another node (%w)", to, err)
				}
				if local.ID == ag.ID {
					return fmt.Errorf("%s would ask itself: give the agency asked with --to", ag.Code)
				}
				t.Addressee = tracing.Party{AgencyID: local.ID, Agency: local.Code, Country: or(local.Country, nodeCountry(n))}
			}
			t.Requester.Country = or(t.Requester.Country, nodeCountry(n))
			if t, err = n.Store.CreateTraceRequest(ctx, t); err != nil {
				return err
			}
			if _, err := n.Audit.Append(ctx, consoleRecord(ag, n.User.ID, "trace.create", "trace_request", string(t.ID),
				map[string]any{"to": t.Addressee.Agency, "country": t.Addressee.Country, "peer": t.Peer})); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "trace request %s: draft to %s (%s)\n", t.ID, t.Addressee.Agency, t.Addressee.Country)
			if !send {
				return nil
			}
			return sendTrace(ctx, cmd, n, ag, t.ID)
		}}
	fl := cmd.Flags()
	fl.StringVar(&to, "to", "", "code or name of the agency asked (required)")
	fl.StringVar(&country, "to-country", "", "its ISO 3166-1 alpha-2 country (default: the peer's, or the agency's on this node)")
	fl.StringVar(&peer, "peer", "", "key fingerprint of the agency's node when it is another node (tracemark peer list)")
	fl.StringVar(&firearmID, "firearm", "", "ID of the agency's firearm record to copy into the request")
	fl.StringVar(&desc.Make, "make", "", "the firearm's make, without --firearm")
	fl.StringVar(&desc.Model, "model", "", "its model")
	fl.StringVar(&kind, "type", string(tracing.TypePistol), "its type")
	fl.StringVar(&desc.SerialNumber, "serial", "", "its serial number as read")
	fl.StringVar((*string)(&desc.Status), "firearm-status", string(tracing.StatusSeized), "its status")
	fl.StringVar(&contact, "contact", "", "the requesting officer or point of contact")
	fl.StringVar(&t.Reason, "reason", "", "why the firearm is illicit, the circumstances (required to send)")
	fl.StringVar(&t.LegalBasis, "legal-basis", "", "e.g. ITI para 17; a treaty (required to send)")
	fl.StringVar(&t.CaseNumber, "case-number", "", "the requester's case number")
	fl.StringVar(&t.Priority, "priority", "", "routine or urgent")
	fl.StringVar(&t.Restrictions, "restrictions", "", "confidentiality or use limits")
	fl.StringVar(&deadline, "deadline", "", "answer wanted by, YYYY-MM-DD")
	fl.BoolVar(&send, "send", false, "send at once")
	return cmd
}

// nodeCountry is the country of an agency that has none of its own: the
// node's ("" when exchange is off).
func nodeCountry(n *server.Node) string {
	if n.Federation == nil {
		return ""
	}
	return n.Federation.Card().Country
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sendTrace sends a draft of ag: delivered to the peer's node, or made
// sent here when the addressee is on this node.
func sendTrace(ctx context.Context, cmd *cobra.Command, n *server.Node, ag domain.Agency, id tracing.TraceRequestID) error {
	t, err := n.Store.TraceRequest(ctx, ag.ID, id)
	if err != nil {
		return err
	}
	if t.Requester.AgencyID != ag.ID {
		return fmt.Errorf("trace request %s was sent to %s, not by it: only the requester sends", id, ag.Code)
	}
	if t.Peer != "" {
		if n.Federation == nil {
			return errors.New("a request to another node needs this node's country: give --country")
		}
		if t, err = n.Federation.SendTrace(ctx, ag.ID, n.User.ID, id); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "trace request %s: %s, delivered to %s (%s)\n", t.ID, t.Status, t.Addressee.Agency, t.Addressee.Country)
		return nil
	}
	if t, err = n.Store.UpdateTraceRequest(ctx, ag.ID, id, func(x *tracing.TraceRequest) error {
		return x.Transition(tracing.TraceSent, time.Now().UTC(), n.User.ID, "")
	}); err != nil {
		return err
	}
	if _, err := n.Audit.Append(ctx, consoleRecord(ag, n.User.ID, "trace.status", "trace_request", string(id), map[string]any{"to": t.Status})); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "trace request %s: %s to %s\n", t.ID, t.Status, t.Addressee.Agency)
	return nil
}

func newTraceSendCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	return &cobra.Command{Use: "send ID", Short: "Send a draft, or retry a delivery that is pending", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			id := tracing.TraceRequestID(args[0])
			t, err := n.Store.TraceRequest(cmd.Context(), ag.ID, id)
			if err != nil {
				return err
			}
			if t.Status != tracing.TraceDraft && t.Peer != "" && n.Federation != nil {
				// A change of a sent request that did not reach the other node.
				if t, err = n.Federation.SyncTrace(cmd.Context(), ag.ID, id); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "trace request %s: %s, %s\n", t.ID, t.Status, deliveryOf(t))
				return nil
			}
			return sendTrace(cmd.Context(), cmd, n, ag, id)
		}}
}

// changeTrace applies change to a request of ag; a request with a party on
// another node has the change delivered there.
func changeTrace(ctx context.Context, n *server.Node, ag domain.Agency, id tracing.TraceRequestID, change func(*tracing.TraceRequest) error) (tracing.TraceRequest, error) {
	t, err := n.Store.TraceRequest(ctx, ag.ID, id)
	if err != nil {
		return t, err
	}
	if t.Peer == "" {
		return n.Store.UpdateTraceRequest(ctx, ag.ID, id, change)
	}
	if n.Federation == nil {
		return t, errors.New("a request with another node needs this node's country: give --country")
	}
	return n.Federation.UpdateTrace(ctx, ag.ID, id, change)
}

// reportChange prints the request after a change and audits it; a change
// kept here but not delivered is reported and fails the command.
func reportChange(ctx context.Context, cmd *cobra.Command, n *server.Node, ag domain.Agency, action string, t tracing.TraceRequest, err error) error {
	kept := t.ID != "" && t.Delivery != nil && t.Delivery.Pending // changed here, not delivered yet
	if err != nil && !kept {
		return err
	}
	if _, aerr := n.Audit.Append(ctx, consoleRecord(ag, n.User.ID, action, "trace_request", string(t.ID), map[string]any{"status": t.Status, "answers": len(t.Answers)})); aerr != nil {
		return aerr
	}
	fmt.Fprintf(cmd.OutOrStdout(), "trace request %s: %s, %s\n", t.ID, t.Status, deliveryOf(t))
	return err
}

func newTraceAnswerCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var a tracing.TraceAnswer
	cmd := &cobra.Command{Use: "answer ID", Short: "Answer a trace request addressed to the agency", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.Text == "" {
				return errors.New("give --text: the answer")
			}
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			t, err := changeTrace(cmd.Context(), n, ag, tracing.TraceRequestID(args[0]), func(x *tracing.TraceRequest) error {
				if x.Addressee.AgencyID != ag.ID {
					return errs.Errorf("trace answer", errs.Permission, "trace request %s is not addressed to %s: only the addressee answers", x.ID, ag.Code)
				}
				a.At, a.By = time.Now().UTC(), n.User.ID
				return x.Answer(a)
			})
			return reportChange(cmd.Context(), cmd, n, ag, "trace.answer", t, err)
		}}
	cmd.Flags().StringVar(&a.Text, "text", "", "the answer (required)")
	cmd.Flags().StringVar(&a.LastLegalOwner, "last-legal-owner", "", "the last legal owner found")
	cmd.Flags().StringVar(&a.PointOfDiversion, "point-of-diversion", "", "where the firearm left legal hands")
	return cmd
}

func newTraceStatusCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var note string
	cmd := &cobra.Command{Use: "status ID acknowledged|closed", Short: "Acknowledge (addressee) or close (either side) a trace request", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			to := tracing.TraceStatus(args[1])
			if to != tracing.TraceAcknowledged && to != tracing.TraceClosed {
				return fmt.Errorf("status %q: give acknowledged or closed (send with 'trace send', answer with 'trace answer')", args[1])
			}
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			t, err := changeTrace(cmd.Context(), n, ag, tracing.TraceRequestID(args[0]), func(x *tracing.TraceRequest) error {
				if to == tracing.TraceAcknowledged && x.Addressee.AgencyID != ag.ID {
					return errs.Errorf("trace status", errs.Permission, "only the addressed agency acknowledges trace request %s", x.ID)
				}
				return x.Transition(to, time.Now().UTC(), n.User.ID, note)
			})
			return reportChange(cmd.Context(), cmd, n, ag, "trace.status", t, err)
		}}
	cmd.Flags().StringVar(&note, "note", "", "a note kept in the request's history")
	return cmd
}

func newTraceShowCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	return &cobra.Command{Use: "show ID", Short: "Print a trace request with its answers and history as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			t, err := n.Store.TraceRequest(cmd.Context(), ag.ID, tracing.TraceRequestID(args[0]))
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), t)
		}}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/tracing"
)

// openAgencyNode opens the node of nf (no queue; exchange and federation
// on when it has a country) and the agency named by code ("" for the
// default one).
func openAgencyNode(ctx context.Context, nf *nodeFlags, ff *federationFlags, code string) (*server.Node, domain.Agency, error) {
	cfg := nf.config()
	cfg.Federation = ff.FederationConfig
	n, err := server.OpenLocal(ctx, cfg)
	if err != nil {
		return nil, domain.Agency{}, err
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

// consoleRecord is an audit entry of a console command on a record.
func consoleRecord(ag domain.Agency, by domain.UserID, action, objectType, id string, details map[string]any) audit.Record {
	details["via"] = "console"
	return audit.Record{Agency: string(ag.ID), Actor: string(by), Action: action, ObjectType: objectType, ObjectID: id, Details: details}
}

func newFirearmCmd() *cobra.Command {
	var (
		nf     nodeFlags
		ff     federationFlags
		agency string
	)
	cmd := &cobra.Command{
		Use:   "firearm",
		Short: "Record, list, find and show firearms (International Tracing Instrument fields)",
		Long: `Firearm records of an agency (--agency, default the node's): make, model, type,
calibre, serial number, country and year of manufacture, markings, status and
history. 'search' finds a partial or obliterated serial: '?' is one unreadable
character, '*' any run, and look-alikes (0/O, 1/I/l, 5/S, 8/B) and Cyrillic
capitals match at a lower score. 'list --text' folds both scripts, so "ПМ"
finds "PM".`,
	}
	nf.register(cmd)
	ff.register(cmd, false)
	cmd.Flags().StringVar(&agency, "agency", "", "agency code (default: the node's default agency)")
	cmd.PersistentFlags().AddFlagSet(cmd.Flags())
	cmd.AddCommand(newFirearmAddCmd(&nf, &ff, &agency), newFirearmListCmd(&nf, &ff, &agency),
		newFirearmSearchCmd(&nf, &ff, &agency), newFirearmShowCmd(&nf, &ff, &agency))
	return cmd
}

func newFirearmAddCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var (
		f        tracing.Firearm
		status   string
		kind     string
		caseID   string
		markings []string
	)
	cmd := &cobra.Command{Use: "add", Short: "Record a firearm", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Make == "" {
				return errors.New("give --make (e.g. Makarov)")
			}
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			f.AgencyID, f.Type, f.Status, f.CaseID = ag.ID, tracing.FirearmType(kind), tracing.Status(status), domain.CaseID(caseID)
			for _, m := range markings {
				f.OtherMarkings = append(f.OtherMarkings, tracing.Marking{Text: m})
			}
			f.History = []tracing.HistoryEvent{{At: time.Now().UTC(), Kind: "status", Status: f.Status, AgencyID: ag.ID, By: n.User.ID, CaseID: f.CaseID, Note: "recorded"}}
			if f, err = n.Store.CreateFirearm(cmd.Context(), f, nil); err != nil {
				return err
			}
			if _, err := n.Audit.Append(cmd.Context(), consoleRecord(ag, n.User.ID, "firearm.create", "firearm", string(f.ID),
				map[string]any{"make": f.Make, "model": f.Model, "serial": f.SerialNumber, "status": f.Status})); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "firearm %s: %s, %s (%s)\n", f.ID, describeFirearm(f), serialOf(f), f.Status)
			return nil
		}}
	fl := cmd.Flags()
	fl.StringVar(&f.Make, "make", "", "make (required), e.g. Makarov or ИЖ")
	fl.StringVar(&f.Model, "model", "", "model, e.g. PM")
	fl.StringVar(&kind, "type", string(tracing.TypePistol), "pistol, revolver, rifle, assault_rifle, carbine, shotgun, submachine_gun, machine_gun, machine_pistol, combination_gun or other")
	fl.StringVar(&f.Calibre, "calibre", "", "calibre, e.g. 9x18mm Makarov")
	fl.StringVar(&f.SerialNumber, "serial", "", "serial number as read; '?' for unreadable positions")
	fl.BoolVar(&f.SerialObliterated, "serial-obliterated", false, "the serial number was (partly) obliterated")
	fl.StringVar(&f.CountryOfManufacture, "made-in", "", "country of manufacture, ISO 3166-1 alpha-2")
	fl.IntVar(&f.YearOfManufacture, "year", 0, "year of manufacture (0: unknown)")
	fl.StringVar(&status, "status", string(tracing.StatusSeized), "lost, stolen, seized, recovered, destroyed or in_reference_collection")
	fl.StringVar(&caseID, "case", "", "ID of the case the firearm was recovered in")
	fl.StringSliceVar(&markings, "marking", nil, "another marking as read (repeatable)")
	return cmd
}

func newFirearmListCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var (
		filter store.FirearmFilter
		status string
		kind   string
		limit  int
	)
	cmd := &cobra.Command{Use: "list", Short: "List the agency's firearms, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			filter.Agency, filter.Status, filter.Type = ag.ID, tracing.Status(status), tracing.FirearmType(kind)
			items, next, err := n.Store.ListFirearms(cmd.Context(), filter, store.Page{Limit: limit})
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFIREARM\tTYPE\tSERIAL\tSTATUS")
			for _, f := range items {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, describeFirearm(f), f.Type, serialOf(f), f.Status)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "(more: raise --limit, at most %d)\n", store.MaxLimit)
			}
			return nil
		}}
	cmd.Flags().StringVar(&status, "status", "", "only this status")
	cmd.Flags().StringVar(&kind, "type", "", "only this type")
	cmd.Flags().StringVar(&filter.Text, "text", "", "make, model, markings or serial, either script")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many")
	return cmd
}

func newFirearmSearchCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	var (
		minScore float64
		limit    int
	)
	cmd := &cobra.Command{Use: "search SERIAL", Short: "Find firearms by a partial or obliterated serial number", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := tracing.ParseSerialPattern(args[0])
			if err != nil {
				return err
			}
			if minScore <= 0 || minScore > 1 {
				return fmt.Errorf("--min-score %g: give a score in (0, 1]", minScore)
			}
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			serials, err := n.Store.FirearmSerials(cmd.Context(), ag.ID)
			if err != nil {
				return err
			}
			idx := tracing.NewSerialIndex()
			for _, s := range serials {
				idx.Add(s.ID, s.Serial)
			}
			hits := idx.Search(p, minScore, limit)
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "SCORE\tID\tSERIAL\tFIREARM\tSTATUS\n")
			for _, h := range hits {
				f, err := n.Store.Firearm(cmd.Context(), ag.ID, h.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%.2f\t%s\t%s\t%s\t%s\n", h.Score, f.ID, serialOf(f), describeFirearm(f), f.Status)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(hits) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no firearm of %s matches %s at score ≥ %.2f\n", ag.Code, p, minScore)
			}
			return nil
		}}
	cmd.Flags().Float64Var(&minScore, "min-score", 0.5, "lowest score listed (exact 1, look-alike 0.6, '?' 0.3 per character)")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many")
	return cmd
}

func newFirearmShowCmd(nf *nodeFlags, ff *federationFlags, agency *string) *cobra.Command {
	return &cobra.Command{Use: "show ID", Short: "Print a firearm record as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, ag, err := openAgencyNode(cmd.Context(), nf, ff, *agency)
			if err != nil {
				return err
			}
			defer n.Close()
			f, err := n.Store.Firearm(cmd.Context(), ag.ID, tracing.FirearmID(args[0]))
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), f)
		}}
}

func describeFirearm(f tracing.Firearm) string {
	return strings.TrimSpace(f.Make + " " + f.Model)
}

func serialOf(f tracing.Firearm) string {
	switch {
	case f.SerialNumber == "":
		return "no serial"
	case f.SerialObliterated:
		return "serial " + f.SerialNumber + " (obliterated)"
	}
	return "serial " + f.SerialNumber
}

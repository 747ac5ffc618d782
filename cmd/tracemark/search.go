package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/server"
)

func newSearchCmd() *cobra.Command {
	var (
		nf      nodeFlags
		k       int
		kind    string
		calibre string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "search FILE",
		Short: "Search the database with a scan (not stored) and print the ranked candidate list",
		Long: `Search the database under --data (or --db/--blobs) with an X3P scan that is not
stored: class prefilter (--calibre), coarse signature stage, then the full
comparison of the engines on the top K. Prints the ranked list with scores,
cases and exhibits (--json for the full list with registrations).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := terminationContext(cmd.Context())
			defer stop()
			sk, err := ingest.ParseKind(kind)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("search: %w", err)
			}
			name := filepath.Base(args[0])
			an, err := ingest.Analyse(data, name, sk, 0)
			if err != nil {
				return fmt.Errorf("search: %w", err)
			}
			node, err := server.OpenLocal(ctx, nf.config())
			if err != nil {
				return err
			}
			defer node.Close()
			q, err := server.QueryForAnalysis(node.Agency.ID, an, domain.ClassCharacteristics{Calibre: calibre}, name)
			if err != nil {
				return err
			}
			q.K = k
			if sc, err := node.Store.ScanByOriginal(ctx, node.Agency.ID, blob.RefOf(data)); err == nil {
				// The very file is stored: leave it out of its own list.
				q.Scan, q.ExcludeExhibit = sc.ID, sc.ExhibitID
				fmt.Fprintf(cmd.ErrOrStderr(), "%s is stored as scan %s; it is left out of the list\n", name, sc.ID)
			}
			cands, st, err := node.Corr.Search(ctx, q)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"items": cands, "stats": st})
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "RANK\tSCORE\tCASE\tEXHIBIT\tFILE\tSCAN")
			for _, c := range cands {
				caseNo, label, file := "?", "?", "?"
				if sc, err := node.Store.Scan(ctx, node.Agency.ID, c.Scan); err == nil {
					file = sc.OriginalName
					if ex, err := node.Store.Exhibit(ctx, node.Agency.ID, sc.ExhibitID); err == nil {
						label = ex.Label
						if cs, err := node.Store.Case(ctx, node.Agency.ID, ex.CaseID); err == nil {
							caseNo = cs.Number
						}
					}
				}
				fmt.Fprintf(w, "%d\t%.3f\t%s\t%s\t%s\t%s\n", c.Rank, c.Score, caseNo, label, file, c.Scan)
			}
			w.Flush()
			fmt.Fprintf(cmd.ErrOrStderr(), "corpus %d, compatible %d, coarse %d, compared %d; coarse %.1f ms, full %.0f ms\n",
				st.Corpus, st.Compatible, st.Coarse, st.Compared, st.CoarseMS, st.FullMS)
			return nil
		},
	}
	nf.register(cmd)
	cmd.Flags().IntVar(&k, "k", 20, "candidates compared in full and listed")
	cmd.Flags().StringVar(&kind, "kind", "cartridge", "cartridge or bullet-land")
	cmd.Flags().StringVar(&calibre, "calibre", "", "class prefilter: only exhibits of this calibre (or unknown)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

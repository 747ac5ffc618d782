package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tracemark/tracemark/internal/search"
)

func newBenchSearchCmd() *cobra.Command {
	var (
		cfg            search.BenchConfig
		report         string
		memLimitMiB    int64
		shardProcesses bool
	)
	cmd := &cobra.Command{
		Use:   "search --synthetic N [--real DIR --truth CSV] [--k K] [--report out.json]",
		Short: "Benchmark the ranked search: index N synthetic (and real) cartridge cases and query them",
		Long: `Build an in-memory search index of N synthetic cartridge cases (--shots
per firearm, so that every query has mates), plus --distractors turned or
mirrored copies of them (never mates; a cheap way to reach 100,000 on a
busy machine), plus the real processed scans of --real/--truth (columns
file, source_id), then run --queries synthetic queries and every real scan
through the same pipeline as a real search: class prefilter, coarse stage
(polar-spectrum rotation hypotheses and registration of 50 µm maps, then a
rotation sweep of the best --rerank), full comparison (cartridge fast mode)
of the best --full of the --k coarse candidates. Reports exhibits,
ingest_per_second, coarse_ms_median, query_ms_median, query_ms_p95 (wall),
query_cpu_ms_median (process CPU during the query), recall_at_k per part
(share of true mates kept by the coarse stage), top1, k, peak_rss_mib and
machine details; with --shards N also shards and the resident index of
each shard (shard_index_mib); progress goes to stderr.

With --shard-processes the --shards parts of the coarse stage run in
processes of their own (this program, over an embedded NATS server on
loopback, as shard workers would across machines): each builds only its
shard of the corpus and answers the coarse queries; this process merges
their candidates and runs the full comparison. The report then adds each
shard's build (shard_parts) and every process's peak RSS and CPU
(processes); query_cpu_ms counts the shard processes' CPU too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Synthetic <= 0 && cfg.RealDir == "" {
				return fmt.Errorf("bench search: give --synthetic N and/or --real DIR --truth CSV")
			}
			if (cfg.RealDir == "") != (cfg.TruthCSV == "") {
				return fmt.Errorf("bench search: --real and --truth go together")
			}
			if memLimitMiB > 0 {
				// A soft limit: the collector works harder near it instead
				// of letting the heap double past the live set.
				debug.SetMemoryLimit(memLimitMiB << 20)
			}
			last := time.Time{}
			cfg.Progress = func(stage string, done, total int) {
				if time.Since(last) < time.Second && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(os.Stderr, "%s: %d/%d\n", stage, done, total)
			}
			var fleet *shardFleet
			if shardProcesses {
				var err error
				if fleet, err = startShardProcesses(cmd.Context(), cfg, max(1, cfg.Shards), memLimitMiB); err != nil {
					return err
				}
				defer fleet.stop() // also on error paths; a second stop does nothing
				cfg.Remote = fleet.remote
			}
			rep, err := search.RunBench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if fleet != nil {
				rep.Processes = append([]search.BenchProcess{thisProcess()}, fleet.stop()...)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "exhibits %d (synthetic %d, distractors %d, real %d), ingest %.1f/s in %.0f s\n", rep.Exhibits, rep.SyntheticCount, rep.DistractorCount, rep.RealCount, rep.IngestPerSecond, rep.IngestSeconds)
			fmt.Fprintf(out, "k %d, full comparisons %d, rerank %d, rotation hypotheses %d, query expansion with up to %d identified hits\n", rep.K, rep.Full, rep.Rerank, rep.Hypotheses, rep.Expand)
			fmt.Fprintf(out, "coarse %.1f ms median; query %.0f ms median, %.0f ms p95 (wall); %.0f ms CPU median\n", rep.CoarseMSMedian, rep.QueryMSMedian, rep.QueryMSP95, rep.CPUMSMedian)
			for _, s := range []struct {
				name string
				set  *search.BenchSet
			}{{"synthetic", rep.Synthetic}, {"real", rep.Real}} {
				if s.set != nil {
					top1 := fmt.Sprintf("%.3f", s.set.Top1)
					if cfg.CoarseOnly {
						top1 = "n/a (coarse only)"
					}
					fmt.Fprintf(out, "%s: %d queries, recall@%d %.3f (%d mates; %.3f before query expansion), top1 %s; query %.0f ms median, %.0f ms p95\n", s.name, s.set.Queries, rep.K, s.set.RecallAtK, s.set.Mates, s.set.RecallFirstScan, top1, s.set.QueryMSMedian, s.set.QueryMSP95)
					if s.set.Expanded > 0 {
						fmt.Fprintf(out, "%s: %d queries expanded; their second scan %.0f ms median\n", s.name, s.set.Expanded, s.set.ExpandMSMedian)
					}
					if s.set.Identified > 0 {
						fmt.Fprintf(out, "%s: recall@%d %.3f over the %d mates the engine identifies (high-CMC ≥ %d)\n", s.name, rep.K, s.set.RecallIdentified, s.set.Identified, search.IdentifiedCMC)
					}
				}
			}
			if rep.Shards > 1 {
				parts := make([]string, len(rep.ShardIndexMiB))
				for i, m := range rep.ShardIndexMiB {
					parts[i] = fmt.Sprintf("%.0f", m)
				}
				fmt.Fprintf(out, "shards %d (index MiB per shard: %s)\n", rep.Shards, strings.Join(parts, ", "))
				for _, p := range rep.ShardParts {
					fmt.Fprintf(out, "shard %d/%d: %d exhibits built in %.0f s; resident %.0f MiB once built\n", p.Shard, p.Shards, p.Exhibits, p.IngestSeconds, p.RSSMiB)
				}
			}
			for _, p := range rep.Processes {
				fmt.Fprintf(out, "process %s (pid %d): peak RSS %.0f MiB, CPU %.1f s\n", p.Role, p.PID, p.PeakRSSMiB, p.CPUSeconds)
			}
			where := ""
			if len(rep.Processes) > 0 {
				where = " in the shard processes"
			}
			fmt.Fprintf(out, "peak RSS %.0f MiB (index %.0f MiB%s, prepared cache %d entries %.0f MiB, %d hits %d misses); load %.1f on %d CPUs\n",
				rep.PeakRSSMiB, rep.IndexMiB, where, rep.Cache.Entries, float64(rep.Cache.Bytes)/(1<<20), rep.Cache.Hits, rep.Cache.Misses, rep.Machine.LoadAvg1, rep.Machine.NumCPU)
			if report != "" {
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return fmt.Errorf("bench search: encoding the report: %w", err)
				}
				if err := os.WriteFile(report, append(b, '\n'), 0o644); err != nil {
					return fmt.Errorf("bench search: writing the report: %w", err)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	benchCorpusFlags(f, &cfg)
	f.IntVar(&cfg.Queries, "queries", 50, "number of synthetic queries")
	f.IntVar(&cfg.Pipeline.K, "k", 100, "coarse candidates kept per query")
	f.IntVar(&cfg.Pipeline.Full, "full", 20, "candidates given the full comparison")
	f.IntVar(&cfg.Pipeline.Rerank, "rerank", 1000, "exhaustive-scan survivors given the full rotation sweep")
	f.IntVar(&cfg.Pipeline.Hypotheses, "hypotheses", 0, "polar rotation hypotheses registered per candidate in the exhaustive scan (0: the pipeline's default, 1 with query expansion and 2 without)")
	f.IntVar(&cfg.Pipeline.Expand, "expand", 3, "query expansion: identified hits added to the query for a second coarse scan (-1: off)")
	f.IntVar(&cfg.Pipeline.ExpandRerank, "expand-rerank", search.ExpandRerankDefault, "the second scan's rerank depth")
	f.IntVar(&cfg.Pipeline.ExpandHypotheses, "expand-hypotheses", 1, "the second scan's polar rotation hypotheses")
	f.BoolVar(&cfg.CoarseOnly, "coarse-only", false, "skip the full comparison (recall and coarse timings only)")
	f.BoolVar(&cfg.EngineMates, "engine-mates", true, "after the timed queries, compare each synthetic query with its mates by the engine and report the recall over the mates it identifies")
	f.IntVar(&cfg.Pipeline.Workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
	f.StringVar(&report, "report", "", "write the JSON report to this file")
	f.IntVar(&cfg.Shards, "shards", 1, "split the corpus by ShardOf over this many in-process indexes, queried concurrently and merged (the coarse stage of a sharded deployment)")
	f.IntVar(&cfg.CacheMiB, "cache-mib", 512, "budget of the prepared-candidate cache, MiB (as the server's)")
	f.BoolVar(&shardProcesses, "shard-processes", false, "run each of the --shards parts of the coarse stage in a process of its own, asked over NATS on loopback (RPC overhead and memory split of sharding)")
	f.Int64Var(&memLimitMiB, "memory-limit-mib", 3072, "Go soft memory limit, MiB (0: none; also each shard process's)")
	cmd.AddCommand(newBenchSearchShardCmd())
	return cmd
}

// benchCorpusFlags registers the flags that define the bench's corpus, the
// same for 'bench search' and its shard processes (which must build the
// parts of one corpus).
func benchCorpusFlags(f *pflag.FlagSet, cfg *search.BenchConfig) {
	f.IntVar(&cfg.Synthetic, "synthetic", 0, "number of synthetic cartridge cases to index")
	f.IntVar(&cfg.SyntheticShots, "shots", 4, "synthetic firings per firearm")
	f.IntVar(&cfg.Distractors, "distractors", 0, "extra non-mate exhibits made by turning (90°, 270°) or mirroring synthetic firings (at most 6 per firing)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "synthetic corpus seed")
	f.StringVar(&cfg.RealDir, "real", "", "folder of real processed scans (e.g. the Fadul set)")
	f.StringVar(&cfg.TruthCSV, "truth", "", "ground-truth CSV of the real scans (columns file, source_id)")
}

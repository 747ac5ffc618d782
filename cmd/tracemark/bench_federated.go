package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/federation"
)

func newBenchFederatedCmd() *cobra.Command {
	var (
		cfg       federation.BenchConfig
		report    string
		keep      bool
		profile   string
		processes bool
	)
	cmd := &cobra.Command{
		Use:   "federated",
		Short: "Time a federated search across nodes holding many exhibits each",
		Long: `federated starts --nodes answering nodes on loopback (each its own SQLite
database, exchange key and TLS certificate, with --exhibits synthetic
cartridge cases shared with the asker) and one asking node, then times
--queries federated searches over mutual TLS after one untimed cold search
(reported apart). Every node runs the real search pipeline: coarse signature
stage over all its exhibits, full comparison of the best --full (the federated
search's default). The nodes run in this process and share its CPUs, or with
--processes each in a process of its own (closer to separate machines, still
on this machine's CPUs). CPU per search is the work of all nodes together,
whatever the machine's load; the load average is printed beside it.
--cpuprofile writes a pprof profile of the timed searches (this process).
Progress goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "tracemark-bench-federated-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			cfg.Dir = dir
			if processes {
				cfg.Spawn = spawnBenchNode(cfg)
			}
			last := time.Time{}
			cfg.Progress = func(stage string, done, total int) {
				if time.Since(last) < time.Second && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(os.Stderr, "%s: %d/%d\n", stage, done, total)
			}
			if profile != "" {
				f, err := os.Create(profile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				cfg.Profile = f
			}
			rep, err := federation.RunBench(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "%d nodes × %d exhibits (%d distinct signatures), full comparisons %d per node, nodes in processes of their own: %v; set-up %.0f s\n",
				rep.Nodes, rep.ExhibitsEach, rep.Distinct, rep.Full, rep.Processes, rep.SetupSeconds)
			fmt.Fprintf(out, "first search after start (cold): %.0f ms, %.0f ms CPU\n", rep.ColdMS, rep.ColdCPUMS)
			fmt.Fprintf(out, "federated search: median %.0f ms, max %.0f ms over %d queries; per node median %s ms; %d candidates; %d failed peers\n",
				rep.MedianMS, rep.MaxMS, len(rep.LatencyMS), floats(rep.PeerMedianMS), rep.Candidates, rep.FailedPeers)
			fmt.Fprintf(out, "CPU per federated search (all nodes together): median %.0f ms; load average %.1f on %d CPUs\n", rep.CPUMedianMS, rep.LoadAvg1, rep.CPUs)
			for _, n := range rep.Notes {
				fmt.Fprintln(out, "note:", n)
			}
			if report != "" {
				b, err := json.MarshalIndent(rep, "", "  ")
				if err != nil {
					return err
				}
				return os.WriteFile(report, append(b, '\n'), 0o644)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&cfg.Nodes, "nodes", 3, "answering nodes")
	cmd.Flags().IntVar(&cfg.Exhibits, "exhibits", 10_000, "exhibits per node")
	cmd.Flags().IntVar(&cfg.Distinct, "distinct", 1_000, "distinct synthetic signatures the exhibits cycle through")
	cmd.Flags().IntVar(&cfg.Queries, "queries", 5, "federated searches timed")
	cmd.Flags().IntVar(&cfg.K, "k", 10, "candidates returned per node")
	cmd.Flags().IntVar(&cfg.Full, "full", federation.DefaultFull, "full comparisons asked of each node (-1: coarse ranking only)")
	cmd.Flags().IntVar(&cfg.Rerank, "rerank", 0, "nodes' coarse rerank depth (default: the search pipeline's, as a server)")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "synthetic corpus seed")
	cmd.Flags().StringVar(&report, "report", "", "also write the report as JSON to this file")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the nodes' working folder")
	cmd.Flags().BoolVar(&processes, "processes", false, "run each answering node in a process of its own (as separate machines; CPU read from /proc)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the timed searches (not the set-up) to this file (go tool pprof)")
	cmd.AddCommand(newBenchFederatedNodeCmd())
	return cmd
}

// spawnBenchNode starts answering node i as 'tracemark bench federated
// node' with the bench's settings.
func spawnBenchNode(cfg federation.BenchConfig) func(ctx context.Context, i int) (*federation.BenchProcess, error) {
	return func(ctx context.Context, i int) (*federation.BenchProcess, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		c := exec.CommandContext(ctx, exe, "bench", "federated", "node", "--dir", cfg.Dir, "--index", strconv.Itoa(i),
			"--exhibits", strconv.Itoa(cfg.Exhibits), "--distinct", strconv.Itoa(cfg.Distinct), "--full", strconv.Itoa(cfg.Full),
			"--seed", strconv.FormatUint(cfg.Seed, 10), "--rerank", strconv.Itoa(cfg.Rerank))
		c.Stderr = os.Stderr
		in, err := c.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := c.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := c.Start(); err != nil {
			return nil, err
		}
		return &federation.BenchProcess{In: in, Out: out, PID: c.Process.Pid, Wait: c.Wait}, nil
	}
}

// newBenchFederatedNodeCmd is one answering node of 'bench federated
// --processes' (started by it; speaks JSON lines on stdin and stdout).
func newBenchFederatedNodeCmd() *cobra.Command {
	var (
		cfg   federation.BenchConfig
		index int
	)
	cmd := &cobra.Command{Use: "node", Hidden: true, Short: "One answering node of bench federated --processes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Dir == "" {
				return errors.New("give --dir")
			}
			last := time.Time{}
			cfg.Progress = func(stage string, done, total int) {
				if time.Since(last) < time.Second && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(os.Stderr, "node %d: %s: %d/%d\n", index+1, stage, done, total)
			}
			return federation.ServeBenchNode(cmd.Context(), cfg, index, cmd.InOrStdin(), cmd.OutOrStdout())
		}}
	cmd.Flags().StringVar(&cfg.Dir, "dir", "", "the bench's working folder")
	cmd.Flags().IntVar(&index, "index", 0, "which node")
	cmd.Flags().IntVar(&cfg.Exhibits, "exhibits", 10_000, "exhibits")
	cmd.Flags().IntVar(&cfg.Distinct, "distinct", 1_000, "distinct signatures")
	cmd.Flags().IntVar(&cfg.Full, "full", federation.DefaultFull, "full comparisons asked")
	cmd.Flags().IntVar(&cfg.Rerank, "rerank", 0, "coarse rerank depth")
	cmd.Flags().Uint64Var(&cfg.Seed, "seed", 1, "synthetic corpus seed")
	return cmd
}

func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, "/")
}

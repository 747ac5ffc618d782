package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/procstat"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/server"
)

// 'bench search --shard-processes': the coarse stage in shard processes.
// The querying process starts an embedded NATS server on loopback and one
// process of this binary per shard ('bench search shard', hidden); each
// builds only its shard of the synthetic corpus (search.BuildBenchShard),
// serves it with server.ServeShard, and writes one JSON line (what it
// indexed) on stdout once it answers. The querying process asks them
// through server.RemoteShard, merged by search.Shards, and stops them by
// closing their stdin (a shard process also ends when it cannot read its
// stdin any more, so none outlives the querying process).
//
// Measured (2026-11-27, 2-core AMD EPYC shared with other work, load 0.05
// at the start; --synthetic 20000 --distractors 79960 --queries 10 --full
// 10 --shards 2, with and without --shard-processes): the same mates and
// top hit per query (recall@100 0.900); coarse median 2,302 ms against
// 2,316 ms in process (per query within ±30 ms but for noise: the NATS
// round trip is lost in the 2.3 s sweep); query median 3,257 / 3,219 ms,
// p95 3,728 / 3,681 ms, CPU median 6.29 / 6.24 s (4.5 s of it in the
// shards). Memory: each shard 556 MiB of index, 615 MiB resident once
// built, 1.56 GiB peak (its build's garbage); the querying process 1.52
// GiB peak (the 512 MiB prepared cache and its garbage); one process
// holding everything: 2.99 GiB peak. Each shard regenerates and
// preprocesses nearly every firing (a firing and its six distractors fall
// in both shards), so the shard processes spent ≈ 540 CPU-s on ingest
// against ≈ 410 in one process: a bench artefact (a shard worker reads
// stored features).

// benchShardAgency is the agency whose corpus the bench's shard processes
// serve: a fixed id that the querying process and the shards agree on.
const benchShardAgency domain.AgencyID = "01900000-0000-7000-8000-0000000be5c0"

// shardProcess is one running shard process.
type shardProcess struct {
	shard int
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready *bufio.Reader
}

// shardFleet is the shard processes of one bench and the queue they
// answer on.
type shardFleet struct {
	dir    string
	queue  *jobs.Queue
	procs  []*shardProcess
	remote *search.BenchRemote // the coarse stage across them
}

// benchShardArgs are the arguments of 'bench search shard' for shard i of
// n of the corpus cfg describes.
func benchShardArgs(cfg search.BenchConfig, i, n int, url string, memLimitMiB int64) []string {
	args := []string{"bench", "search", "shard", "--shard", fmt.Sprintf("%d/%d", i, n), "--nats", url,
		"--synthetic", strconv.Itoa(cfg.Synthetic), "--shots", strconv.Itoa(cfg.SyntheticShots),
		"--distractors", strconv.Itoa(cfg.Distractors), "--seed", strconv.FormatUint(cfg.Seed, 10),
		"--workers", strconv.Itoa(cfg.Pipeline.Workers), "--memory-limit-mib", strconv.FormatInt(memLimitMiB, 10)}
	if cfg.RealDir != "" {
		args = append(args, "--real", cfg.RealDir, "--truth", cfg.TruthCSV)
	}
	return args
}

// startShardProcesses starts n shard processes of the corpus cfg describes
// and waits until each has built its shard and answers. The caller must
// stop the fleet (also on error paths after this returns).
func startShardProcesses(ctx context.Context, cfg search.BenchConfig, n int, memLimitMiB int64) (_ *shardFleet, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench search: finding this program to start the shard processes: %w", err)
	}
	dir, err := os.MkdirTemp("", "tracemark-bench-shards-")
	if err != nil {
		return nil, fmt.Errorf("bench search: a folder for the embedded NATS server: %w", err)
	}
	f := &shardFleet{dir: dir}
	defer func() {
		if err != nil {
			f.stop()
		}
	}()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f.queue, err = jobs.Open(ctx, jobs.Config{DataDir: filepath.Join(dir, "nats"), ListenAddr: "127.0.0.1:0", Logger: quiet})
	if err != nil {
		return nil, fmt.Errorf("bench search: starting the embedded NATS server: %w", err)
	}
	t0 := time.Now()
	for i := range n {
		c := exec.CommandContext(ctx, exe, benchShardArgs(cfg, i, n, f.queue.URL(), memLimitMiB)...)
		c.Stderr = os.Stderr
		c.WaitDelay = 10 * time.Second // for the pipes, once it ended or was killed
		stdin, err := c.StdinPipe()
		if err != nil {
			return nil, err
		}
		stdout, err := c.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("bench search: starting shard process %d/%d: %w", i, n, err)
		}
		f.procs = append(f.procs, &shardProcess{shard: i, cmd: c, stdin: stdin, ready: bufio.NewReader(stdout)})
	}
	type ready struct {
		info search.BenchShardInfo
		err  error
	}
	readies := make([]chan ready, n)
	for i, p := range f.procs {
		readies[i] = make(chan ready, 1)
		go func() {
			var r ready
			line, err := p.ready.ReadBytes('\n')
			if err == nil {
				err = json.Unmarshal(line, &r.info)
			}
			if err != nil {
				r.err = fmt.Errorf("bench search: shard process %d/%d ended or failed before it was ready (see its messages above): %w", p.shard, n, err)
			}
			readies[i] <- r
		}()
	}
	parts := make([]search.BenchShardInfo, n)
	for i := range f.procs {
		r := <-readies[i]
		if r.err != nil {
			return nil, r.err
		}
		if r.info.Shard != i || r.info.Shards != n {
			return nil, fmt.Errorf("bench search: shard process %d/%d reports shard %d/%d", i, n, r.info.Shard, r.info.Shards)
		}
		parts[i] = r.info
	}
	coarse := make(search.Shards, n)
	for i := range coarse {
		coarse[i] = server.RemoteShard{Queue: f.queue, Shard: i, Agency: benchShardAgency}
	}
	f.remote = &search.BenchRemote{Coarse: coarse, Parts: parts, IngestSeconds: time.Since(t0).Seconds(),
		WithExcludeIDs: server.WithExcludeIDs, CPU: f.cpu}
	return f, nil
}

// cpu is the CPU time the shard processes have used so far.
func (f *shardFleet) cpu() time.Duration {
	var d time.Duration
	for _, p := range f.procs {
		d += procstat.CPU(p.cmd.Process.Pid)
	}
	return d
}

// shardStopTimeout is how long a shard process may take to end once its
// stdin is closed before it is killed.
const shardStopTimeout = 30 * time.Second

// stop ends the shard processes (closing their stdin; killing those
// still running after shardStopTimeout), waits for them, shuts the NATS
// server down and removes its folder. It returns what the operating
// system measured of each process that was started, in shard order.
func (f *shardFleet) stop() []search.BenchProcess {
	waited := make([]chan struct{}, len(f.procs))
	for i, p := range f.procs {
		_ = p.stdin.Close()
		waited[i] = make(chan struct{})
		go func() {
			_ = p.cmd.Wait() // its error was reported by the process itself on stderr
			close(waited[i])
		}()
	}
	deadline := time.NewTimer(shardStopTimeout)
	defer deadline.Stop()
	late := false // past the deadline: kill what still runs
	var out []search.BenchProcess
	for i, p := range f.procs {
		if !late {
			select {
			case <-waited[i]:
			case <-deadline.C:
				late = true
			}
		}
		if late {
			_ = p.cmd.Process.Kill() // an error if it has ended: nothing to do
			<-waited[i]
		}
		bp := search.BenchProcess{Role: fmt.Sprintf("shard %d/%d", p.shard, len(f.procs)), PID: p.cmd.Process.Pid}
		if st := p.cmd.ProcessState; st != nil {
			bp.CPUSeconds = (st.UserTime() + st.SystemTime()).Seconds()
			bp.PeakRSSMiB = procstat.ExitedPeakRSSMiB(st)
		}
		out = append(out, bp)
	}
	f.procs = nil
	if f.queue != nil {
		f.queue.Close()
		f.queue = nil
	}
	_ = os.RemoveAll(f.dir)
	return out
}

// thisProcess is the querying process's entry of a report's processes.
func thisProcess() search.BenchProcess {
	return search.BenchProcess{Role: "query", PID: os.Getpid(), PeakRSSMiB: procstat.PeakRSSMiB(), CPUSeconds: procstat.SelfCPU().Seconds()}
}

// newBenchSearchShardCmd is one shard process of 'bench search
// --shard-processes' (started by it).
func newBenchSearchShardCmd() *cobra.Command {
	var (
		cfg         search.BenchConfig
		shard, url  string
		memLimitMiB int64
	)
	cmd := &cobra.Command{Use: "shard", Hidden: true, Args: cobra.NoArgs,
		Short: "One shard process of bench search --shard-processes: builds its shard of the corpus and answers coarse queries over NATS until stdin ends",
		RunE: func(cmd *cobra.Command, _ []string) error {
			i, n, err := server.ParseShard(shard)
			if err != nil {
				return err
			}
			if url == "" {
				return errors.New("bench search shard: give --nats URL (the querying process's embedded server)")
			}
			if memLimitMiB > 0 {
				debug.SetMemoryLimit(memLimitMiB << 20)
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			go func() { // the querying process closes stdin, or ends
				_, _ = io.Copy(io.Discard, cmd.InOrStdin())
				cancel()
			}()
			last := time.Time{}
			cfg.Progress = func(stage string, done, total int) {
				if time.Since(last) < time.Second && done < total {
					return
				}
				last = time.Now()
				fmt.Fprintf(os.Stderr, "shard %s: %s: %d/%d\n", shard, stage, done, total)
			}
			q, err := jobs.Open(ctx, jobs.Config{URL: url, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			if err != nil {
				return err
			}
			defer q.Close()
			idx, info, err := search.BuildBenchShard(ctx, cfg, i, n)
			if err != nil {
				return err
			}
			debug.FreeOSMemory() // the build's garbage: report what serving holds
			info.RSSMiB = procstat.RSSMiB()
			served := make(chan error, 1)
			go func() {
				served <- server.ServeShard(ctx, q, i, 2, func(_ context.Context, a domain.AgencyID) (search.Coarse, error) {
					if a != benchShardAgency {
						return nil, fmt.Errorf("agency %q: this bench shard serves only %q", a, benchShardAgency)
					}
					return idx, nil
				})
			}()
			if err := awaitResponder(ctx, q, server.ShardName(i), served); err != nil {
				return err
			}
			if err := json.NewEncoder(cmd.OutOrStdout()).Encode(info); err != nil {
				return err
			}
			return <-served
		}}
	f := cmd.Flags()
	f.StringVar(&shard, "shard", "", "the shard to build and serve, i/n")
	f.StringVar(&url, "nats", "", "NATS URL of the querying process")
	benchCorpusFlags(f, &cfg)
	f.IntVar(&cfg.Pipeline.Workers, "workers", 0, "parallel workers (0: GOMAXPROCS)")
	f.Int64Var(&memLimitMiB, "memory-limit-mib", 3072, "Go soft memory limit, MiB (0: none)")
	return cmd
}

// awaitResponder returns once a responder of name answers on q (any
// reply, an error reply included, means its subscription is in place),
// or with served's error if serving stopped first.
func awaitResponder(ctx context.Context, q *jobs.Queue, name string, served <-chan error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serving %s stopped before it answered: %v", name, err)
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := q.Request(rctx, name, []byte("{}"))
		cancel()
		var remote *jobs.RemoteError
		if err == nil || errors.As(err, &remote) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no answer after a minute: %w", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

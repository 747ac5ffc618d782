package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/server"
)

func newWorkerCmd() *cobra.Command {
	var (
		nf           nodeFlags
		concurrency  int
		remoteShards int
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run only the correlation worker (extra machines or processes)",
		Long: `Run correlation jobs from the shared queue until interrupted. On the machine
of a running 'tracemark serve --data DIR', 'tracemark worker --data DIR' finds
the embedded queue, database and blobs there. On another machine give --nats,
--db and --blobs (PostgreSQL and S3: a SQLite file and a local folder cannot be
shared between machines).

With --remote-shards n the coarse stage of each correlation runs on the n
shard workers (tracemark serve --shard i/n) on the same NATS, as with serve
--remote-shards: this process then holds only the entries' metadata, no
index, and runs the full comparison of the best candidates itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := terminationContext(cmd.Context())
			defer stop()
			cfg := nf.config()
			cfg.RemoteShards = remoteShards
			if cfg.NATSURL == "" {
				u, err := server.WorkerDataURL(nf.data)
				if err != nil {
					return err
				}
				cfg.NATSURL = u
			}
			node, err := server.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer node.Close()
			if concurrency <= 0 {
				concurrency = runtime.GOMAXPROCS(0)
			}
			coarse := fmt.Sprintf("%d index rows here", node.Corr.IndexRows())
			if remoteShards > 0 {
				coarse = fmt.Sprintf("coarse stage on %d remote shards, %d index rows here", remoteShards, node.Corr.IndexRows())
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "tracemark worker: %d slots, corpus of %d entries (%s)\n", concurrency, node.Corr.Len(), coarse)
			return node.Work(ctx, concurrency)
		},
	}
	nf.register(cmd)
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "jobs run at once (default: one per core)")
	cmd.Flags().IntVar(&remoteShards, "remote-shards", 0, "run the coarse search on this many shard workers (serve --shard i/n) over NATS; 0: the whole corpus in this process")
	return cmd
}

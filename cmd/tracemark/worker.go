package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/server"
)

func newWorkerCmd() *cobra.Command {
	var (
		nf          nodeFlags
		concurrency int
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run only the correlation worker (extra machines or processes)",
		Long: `Run correlation jobs from the shared queue until interrupted. On the machine
of a running 'tracemark serve --data DIR', 'tracemark worker --data DIR' finds
the embedded queue, database and blobs there. On another machine give --nats,
--db and --blobs (PostgreSQL and S3: a SQLite file and a local folder cannot be
shared between machines).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := terminationContext(cmd.Context())
			defer stop()
			cfg := nf.config()
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
			fmt.Fprintf(cmd.ErrOrStderr(), "tracemark worker: %d slots, corpus of %d entries\n", concurrency, node.Corr.Len())
			return node.Work(ctx, concurrency)
		},
	}
	nf.register(cmd)
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "jobs run at once (default: one per core)")
	return cmd
}

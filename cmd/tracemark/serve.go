package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/report"
	"github.com/tracemark/tracemark/internal/server"
)

// nodeFlags are the storage flags shared by serve, worker, ingest and search.
type nodeFlags struct {
	data, db, blobs, nats string
}

func (f *nodeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", server.DefaultDataDir, "data folder for the embedded defaults (SQLite file, blob folder, NATS store)")
	cmd.Flags().StringVar(&f.db, "db", "", "database URL: postgres://… or a SQLite file (default DATA/tracemark.db)")
	cmd.Flags().StringVar(&f.blobs, "blobs", "", "blob store: http(s)://ACCESS:SECRET@host:port/bucket for S3, or a folder (default DATA/blobs)")
	cmd.Flags().StringVar(&f.nats, "nats", "", "NATS URL of an external cluster (default: an embedded server under DATA/nats)")
}

func (f *nodeFlags) config() server.Config {
	return server.Config{DataDir: f.data, DBURL: f.db, BlobsURL: f.blobs, NATSURL: f.nats,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
}

// terminationContext is ctx also cancelled by SIGTERM (main handles SIGINT).
func terminationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

// demoCountry is the country of a new demo laboratory when --country is not
// given.
const demoCountry = "KZ"

func newServeCmd() *cobra.Command {
	var (
		nf      nodeFlags
		ff      federationFlags
		addr    string
		demo    bool
		workers int
		k       int

		tlsCert, tlsKey          string
		selfTLS, insecure        bool
		maxUploadMiB, maxBodyKiB int64
		checkpointEvery          time.Duration
		reportTemplates          string
		shard                    string
		remoteShards             int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API and run the correlation worker",
		Long: `Serve the HTTP JSON API (OpenAPI at /api/openapi.json) and correlate every new
exhibit in the background.

By default everything lives under one data folder (--data, default
./tracemark-data): a SQLite database, a local blob folder and an embedded NATS
JetStream server. --db, --blobs and --nats point to PostgreSQL, S3 and a NATS
cluster instead. Worker processes on this machine (tracemark worker --data
DIR) share the embedded queue. --demo loads demonstration cases (two real
Fadul scans, synthetic cartridge cases and bullets) before serving; a new
demo laboratory is placed in Kazakhstan (KZ) unless --country says otherwise,
so that trace requests and exchange work at once.

Every request except health and sign-in needs a signed-in user (POST
/api/auth/login, a session cookie) or an API token (Authorization: Bearer).
Create the first administrator with 'tracemark admin create-admin'; --demo
also creates one demo user per role (admin, examiner, technician, verifier,
investigator, liaison) with the password printed at start.

On a loopback address the API is served over plain HTTP unless --tls or
--tls-cert/--tls-key are given; on any other address it is always HTTPS
(a self-signed ECDSA certificate is made under DATA/tls on first start and
reused) unless --insecure-http is given explicitly (behind a TLS proxy).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := terminationContext(cmd.Context())
			defer stop()
			cfg := nf.config()
			cfg.Addr, cfg.Workers, cfg.K = addr, workers, k
			cfg.TLSCert, cfg.TLSKey, cfg.TLS, cfg.InsecureHTTP = tlsCert, tlsKey, selfTLS, insecure
			cfg.MaxUploadBytes, cfg.MaxBodyBytes = maxUploadMiB<<20, maxBodyKiB<<10
			cfg.CheckpointEvery = checkpointEvery
			cfg.Shard, cfg.RemoteShards = shard, remoteShards
			if shard != "" && !cmd.Flags().Changed("workers") {
				cfg.Workers = -1 // a shard worker holds part of the corpus: no correlation jobs
			}
			if reportTemplates != "" {
				var err error
				if cfg.ReportTemplates, err = report.LoadTemplates(reportTemplates); err != nil {
					return fmt.Errorf("--report-templates: %w", err)
				}
			}
			cfg.Federation = ff.FederationConfig
			if demo && ff.Country == "" {
				// Trace requests and federation need a country; a demo poses
				// as a laboratory of the project's first users.
				cfg.DefaultCountry = demoCountry
			}
			node, err := server.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer node.Close()
			if demo {
				rep, err := node.LoadDemo(ctx, server.DemoConfig{})
				if err != nil {
					return fmt.Errorf("loading the demo: %w", err)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "demo: %d cases, %d exhibits, %d scans stored, %d correlation runs queued in %.1fs\n",
					rep.Cases, rep.Exhibits, rep.Scans, rep.Runs, rep.Elapsed.Seconds())
				users, err := node.EnsureDemoUsers(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "demo users of agency %s, country %s (password %q unless changed):\n", node.Agency.Code, orNone(node.Agency.Country), server.DemoPassword)
				for _, u := range users {
					fmt.Fprintf(cmd.ErrOrStderr(), "  %-13s %v\n", u.Username, u.Roles)
				}
			}
			return node.Serve(ctx, func(u string) {
				fmt.Fprintf(cmd.ErrOrStderr(), "tracemark serving on %s/api/ (OpenAPI: %s/api/openapi.json; sign in: POST %s/api/auth/login)\n", u, u, u)
			})
		},
	}
	nf.register(cmd)
	ff.register(cmd, true)
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "HTTP listen address HOST:PORT")
	cmd.Flags().BoolVar(&demo, "demo", false, "load demonstration cases, exhibits and scans first")
	cmd.Flags().IntVar(&workers, "workers", 0, "correlation jobs run at once in this process (default: one per core; -1: none)")
	cmd.Flags().IntVar(&k, "k", 20, "candidates compared in full and listed per run")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "PEM certificate (chain) for HTTPS; with --tls-key")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "PEM private key for HTTPS; with --tls-cert")
	cmd.Flags().BoolVar(&selfTLS, "tls", false, "serve HTTPS on a loopback address too (self-signed certificate under DATA/tls unless --tls-cert)")
	cmd.Flags().BoolVar(&insecure, "insecure-http", false, "serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)")
	cmd.Flags().Int64Var(&maxUploadMiB, "max-upload-mib", 256, "largest scan file accepted, MiB")
	cmd.Flags().Int64Var(&maxBodyKiB, "max-body-kib", 1024, "largest JSON request body accepted, KiB")
	cmd.Flags().StringVar(&reportTemplates, "report-templates", "", "laboratory report template directory (template.json, logo, messages/<lang>.json), as tracemark report --templates")
	cmd.Flags().StringVar(&shard, "shard", "", "serve as coarse-search shard worker i of n (\"i/n\"): index only that part of the corpus and answer the querying node over NATS; no correlation jobs")
	cmd.Flags().IntVar(&remoteShards, "remote-shards", 0, "run the coarse search on this many shard workers (serve --shard i/n) over NATS; 0: the whole corpus in this process")
	cmd.Flags().DurationVar(&checkpointEvery, "checkpoint-every", 10*time.Minute, "how often to sign an audit checkpoint (one is also signed at shutdown)")
	return cmd
}

// orNone is s, or "none" when s is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

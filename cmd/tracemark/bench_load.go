package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/loadtest"
)

func newBenchLoadCmd() *cobra.Command {
	var (
		cfg               loadtest.Config
		caFile, pwFile    string
		asJSON, showLogs  bool
		upload, search, v int
	)
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load-test the API on this machine: concurrent uploads, searches and page views",
		Long: `load starts a real tracemark server on 127.0.0.1 (SQLite, local blob folder and
embedded NATS under --data, or a temporary folder), signs in real users, and
runs --clients concurrent clients for --duration: uploads of small X3P scans
(each a new file, so every upload goes through the whole ingest), searches
with a file, and page views. It prints requests per second and p50/p99
latency per kind of request, then checks that every acknowledged upload is
stored (zero lost records) and that the audit chain verifies.

--url targets a running server instead (loopback or your own test hosts only),
signing in as --user with the password from --password-file; the user needs
the examiner or technician role, and verifier or administrator for the audit
check. The run stops by itself. Figures depend on everything else the
machine does; compare runs made under the same conditions.`,
		Example: `  tracemark bench load
  tracemark bench load --clients 50 --duration 30s --data /tmp/load
  tracemark bench load --url https://127.0.0.1:8443 --ca DATA/tls/self-signed-cert.pem --user examiner --password-file pw.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.URL != "" {
				if cfg.Username == "" || pwFile == "" {
					return errors.New("--url needs --user and --password-file")
				}
				pw, err := os.ReadFile(pwFile)
				if err != nil {
					return fmt.Errorf("reading the password file: %w", err)
				}
				cfg.Password = strings.TrimRight(strings.SplitN(string(pw), "\n", 2)[0], "\r")
				if caFile != "" {
					pem, err := os.ReadFile(caFile)
					if err != nil {
						return fmt.Errorf("reading the CA certificate: %w", err)
					}
					pool := x509.NewCertPool()
					if !pool.AppendCertsFromPEM(pem) {
						return fmt.Errorf("%s holds no PEM certificate", caFile)
					}
					cfg.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
				}
			}
			cfg.Upload, cfg.Search, cfg.View = upload, search, v
			if showLogs {
				cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "load test: %d clients for %s…\n", cfg.Clients, cfg.Duration)
			rep, err := loadtest.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printLoadReport(out, rep)
			}
			if !rep.OK() {
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Clients, "clients", 50, "concurrent clients")
	f.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long the clients send requests")
	f.StringVar(&cfg.DataDir, "data", "", "data folder of the server started here (default: a temporary folder, removed afterwards)")
	f.StringVar(&cfg.URL, "url", "", "target a running server instead (https://127.0.0.1:PORT)")
	f.StringVar(&cfg.Username, "user", "", "username to sign in with at --url")
	f.StringVar(&pwFile, "password-file", "", "file whose first line is the password of --user")
	f.StringVar(&caFile, "ca", "", "PEM certificate to trust for an HTTPS --url (e.g. DATA/tls/self-signed-cert.pem)")
	f.IntVar(&upload, "upload", 2, "weight of uploads in the request mix")
	f.IntVar(&search, "search", 1, "weight of searches in the request mix")
	f.IntVar(&v, "view", 7, "weight of page views in the request mix")
	f.IntVar(&cfg.SizePX, "size", 256, "width in points of the synthetic scans uploaded")
	f.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic scans and the request mix")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&showLogs, "log", false, "show the server's warnings")
	return cmd
}

func printLoadReport(w interface{ Write([]byte) (int, error) }, rep *loadtest.Report) {
	fmt.Fprintf(w, "target %s, %d clients, %.1f s\n", rep.URL, rep.Clients, rep.Duration.Seconds())
	fmt.Fprintf(w, "%d requests, %.1f requests/s, %d errors\n", rep.Requests, rep.PerSecond, rep.Errors)
	kinds := make([]string, 0, len(rep.Kinds))
	for k := range rep.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "%-8s %9s %7s %9s %9s %9s\n", "kind", "requests", "errors", "p50 ms", "p99 ms", "max ms")
	for _, k := range kinds {
		s := rep.Kinds[k]
		fmt.Fprintf(w, "%-8s %9d %7d %9.1f %9.1f %9.1f\n", k, s.Requests, s.Errors, s.P50MS, s.P99MS, s.MaxMS)
	}
	fmt.Fprintf(w, "uploads acknowledged %d, lost %d\n", rep.Acknowledged, rep.Lost)
	switch {
	case rep.Audit == nil:
		fmt.Fprintf(w, "audit chain: %s\n", rep.AuditChecked)
	case rep.Audit.Problem != nil:
		fmt.Fprintf(w, "audit chain BROKEN at entry %d: %s (%s)\n", rep.Audit.Problem.Seq, rep.Audit.Problem.Message, rep.AuditChecked)
	default:
		fmt.Fprintf(w, "audit chain intact: %d entries, %d signed checkpoints, %d unsigned (%s)\n",
			rep.Audit.Entries, rep.Audit.Checkpoints, rep.Audit.Unsigned, rep.AuditChecked)
	}
	for _, e := range rep.ErrorSamples {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}

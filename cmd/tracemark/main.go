// Command tracemark is the ballistic information-search system: it reads and
// writes X3P scans, compares cartridge cases and bullets, benchmarks the
// comparison engines and (later) serves the examiner workstation.
//
// Each subcommand lives in its own file and only parses flags, then calls the
// packages under internal/. Nothing below main calls os.Exit or log.Fatal.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "tracemark:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "tracemark",
		Short:         "Ballistic information search: X3P scans, cartridge-case and bullet comparison",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newX3PCmd(),
		newRenderCmd(),
		newSynthCmd(),
		newPreprocessCmd(),
		newCompareCmd(),
		newBenchCmd(),
		newServeCmd(),
		newIngestCmd(),
		newSearchCmd(),
		newWorkerCmd(),
		newAdminCmd(),
		newAuditCmd(),
		newReportCmd(),
		newBackupCmd(), newRestoreCmd(),
		newPeerCmd(), newExchangeCmd(), newFirearmCmd(), newTraceCmd(), // tracing
	)
	return root
}

// exitError makes main exit with a code without printing another message,
// for commands (such as x3p validate) that report their own findings.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the ingest subcommand lands.
func newIngestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ingest",
		Short: "ingest (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("ingest: not yet built") },
	}
}

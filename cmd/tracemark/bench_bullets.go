package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the engine lands.
func newBenchBulletsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "bullets",
		Short: "benchmark bullets (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("bench bullets: not yet built") },
	}
}

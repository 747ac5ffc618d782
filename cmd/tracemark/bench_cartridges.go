package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the engine lands.
func newBenchCartridgesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "cartridges",
		Short: "benchmark cartridges (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("bench cartridges: not yet built") },
	}
}

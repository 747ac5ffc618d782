package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the search benchmark lands.
func newBenchSearchCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "search",
		Short: "benchmark the search pipeline at scale (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("bench search: not yet built") },
	}
}

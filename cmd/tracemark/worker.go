package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the worker subcommand lands.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "worker (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("worker: not yet built") },
	}
}

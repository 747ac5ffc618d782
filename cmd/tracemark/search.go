package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the search subcommand lands.
func newSearchCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "search",
		Short: "search (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("search: not yet built") },
	}
}

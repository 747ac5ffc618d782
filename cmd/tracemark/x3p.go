package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the x3p subcommand lands.
func newX3PCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "x3p",
		Short: "x3p (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("x3p: not yet built") },
	}
}

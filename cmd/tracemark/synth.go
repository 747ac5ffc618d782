package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the synth subcommand lands.
func newSynthCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "synth",
		Short: "synth (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("synth: not yet built") },
	}
}

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the preprocess subcommand lands.
func newPreprocessCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "preprocess",
		Short: "preprocess (not yet built)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("preprocess: not yet built") },
	}
}

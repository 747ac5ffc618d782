package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the cartridge engine lands.
func runCompareCartridges(cmd *cobra.Command, f compareFlags, a, b string) error {
	return errors.New("cartridge comparison: not yet built")
}

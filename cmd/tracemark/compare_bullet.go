package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// Placeholder until the bullet engine lands.
func runCompareBullets(cmd *cobra.Command, f compareFlags, a, b []string) error {
	return errors.New("bullet comparison: not yet built")
}

// landFiles lists the land X3P files of a bullet folder in land order.
func landFiles(dir string) ([]string, error) {
	return nil, errors.New("bullet comparison: not yet built")
}

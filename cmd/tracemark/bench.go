package main

import "github.com/spf13/cobra"

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure accuracy and speed of the comparison engines on a data set",
	}
	cmd.AddCommand(newBenchCartridgesCmd(), newBenchBulletsCmd(), newBenchSearchCmd(), newBenchLoadCmd(), newBenchFederatedCmd())
	return cmd
}

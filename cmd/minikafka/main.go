// Command minikafka runs the broker (`minikafka serve`) and administers
// minikafka or any Kafka cluster over the Kafka protocol.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "minikafka",
		Short:         "A Kafka-wire-compatible broker whose security behaves like Apache Kafka's",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "minikafka:", err)
		os.Exit(1)
	}
}

// commands are the subcommands; each file adds its own in init.
var commands []func() *cobra.Command

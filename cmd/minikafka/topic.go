package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func init() { commands = append(commands, topicCommand) }

func topicCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "topic", Short: "Create, list, describe and delete topics (minikafka or any Kafka cluster)"}
	f.register(cmd)

	var partitions int32
	var rf int16
	var configs []string
	create := &cobra.Command{
		Use:   "create TOPIC...",
		Short: "Create topics",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := map[string]*string{}
			for _, c := range configs {
				k, v, ok := strings.Cut(c, "=")
				if !ok {
					return fmt.Errorf("--config %q: want key=value", c)
				}
				cfg[k] = &v
			}
			adm, done, err := f.admin()
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := f.ctx()
			defer cancel()
			resps, err := adm.CreateTopics(ctx, partitions, rf, cfg, args...)
			if err != nil {
				return fmt.Errorf("create topics: %w", err)
			}
			var rows [][]string
			var failed []string
			for _, r := range resps.Sorted() {
				status := "created"
				if r.Err != nil {
					status = errText(r.Err, r.ErrMessage)
					failed = append(failed, r.Topic)
				}
				rows = append(rows, []string{r.Topic, strconv.Itoa(int(r.NumPartitions)), status})
			}
			if err := printRows(cmd.OutOrStdout(), f.output, []string{"TOPIC", "PARTITIONS", "STATUS"}, rows); err != nil {
				return err
			}
			if len(failed) > 0 {
				return fmt.Errorf("could not create %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	create.Flags().Int32VarP(&partitions, "partitions", "p", -1, "number of partitions (-1: broker default)")
	create.Flags().Int16VarP(&rf, "replication-factor", "r", -1, "replication factor (-1: broker default)")
	create.Flags().StringArrayVar(&configs, "config", nil, "topic config key=value (repeatable)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, done, err := f.admin()
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := f.ctx()
			defer cancel()
			td, err := adm.ListTopics(ctx)
			if err != nil {
				return fmt.Errorf("list topics: %w", err)
			}
			var rows [][]string
			for _, t := range td.Sorted() {
				rows = append(rows, []string{t.Topic, strconv.Itoa(len(t.Partitions)), strconv.Itoa(t.Partitions.NumReplicas())})
			}
			return printRows(cmd.OutOrStdout(), f.output, []string{"TOPIC", "PARTITIONS", "REPLICAS"}, rows)
		},
	}

	describe := &cobra.Command{
		Use:   "describe TOPIC...",
		Short: "Describe topics: partitions, leaders, offsets",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, done, err := f.admin()
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := f.ctx()
			defer cancel()
			td, err := adm.ListTopics(ctx, args...)
			if err != nil {
				return fmt.Errorf("describe topics: %w", err)
			}
			starts, err := adm.ListStartOffsets(ctx, args...)
			if err != nil {
				return fmt.Errorf("list start offsets: %w", err)
			}
			ends, err := adm.ListEndOffsets(ctx, args...)
			if err != nil {
				return fmt.Errorf("list end offsets: %w", err)
			}
			var rows [][]string
			var failed []string
			for _, t := range td.Sorted() {
				if t.Err != nil {
					rows = append(rows, []string{t.Topic, "-", "-", "-", "-", t.Err.Error()})
					failed = append(failed, t.Topic)
					continue
				}
				parts := t.Partitions.Sorted()
				sort.Slice(parts, func(i, j int) bool { return parts[i].Partition < parts[j].Partition })
				for _, p := range parts {
					s, _ := starts.Lookup(t.Topic, p.Partition)
					e, _ := ends.Lookup(t.Topic, p.Partition)
					rows = append(rows, []string{t.Topic, strconv.Itoa(int(p.Partition)), strconv.Itoa(int(p.Leader)),
						strconv.FormatInt(s.Offset, 10), strconv.FormatInt(e.Offset, 10), "ok"})
				}
			}
			if err := printRows(cmd.OutOrStdout(), f.output, []string{"TOPIC", "PARTITION", "LEADER", "START", "END", "STATUS"}, rows); err != nil {
				return err
			}
			if len(failed) > 0 {
				return fmt.Errorf("could not describe %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}

	del := &cobra.Command{
		Use:   "delete TOPIC...",
		Short: "Delete topics",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, done, err := f.admin()
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := f.ctx()
			defer cancel()
			resps, err := adm.DeleteTopics(ctx, args...)
			if err != nil {
				return fmt.Errorf("delete topics: %w", err)
			}
			var rows [][]string
			var failed []string
			for _, r := range resps.Sorted() {
				status := "deleted"
				if r.Err != nil {
					status = errText(r.Err, r.ErrMessage)
					failed = append(failed, r.Topic)
				}
				rows = append(rows, []string{r.Topic, status})
			}
			if err := printRows(cmd.OutOrStdout(), f.output, []string{"TOPIC", "STATUS"}, rows); err != nil {
				return err
			}
			if len(failed) > 0 {
				return fmt.Errorf("could not delete %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.AddCommand(create, list, describe, del)
	return cmd
}

func errText(err error, msg string) string {
	if msg != "" && !strings.Contains(err.Error(), msg) {
		return err.Error() + ": " + msg
	}
	return err.Error()
}

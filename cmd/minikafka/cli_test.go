package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/minikafka/minikafka"
)

// run executes the CLI with args and returns stdout and the error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "minikafka", SilenceUsage: true, SilenceErrors: true}
	for _, c := range commands {
		root.AddCommand(c())
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func jsonRows(t *testing.T, s string) []map[string]string {
	t.Helper()
	var rows []map[string]string
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		t.Fatalf("output is not JSON rows: %v\n%s", err, s)
	}
	return rows
}

func TestTopicCommands(t *testing.T) {
	_, addr := minikafka.Start(t)
	bs := "--bootstrap-server=" + addr
	out, err := run(t, "topic", "create", "orders", "-p", "3", bs)
	if err != nil || !strings.Contains(out, "created") {
		t.Fatalf("create: %v\n%s", err, out)
	}
	out, err = run(t, "topic", "create", "orders", bs)
	if err == nil || !strings.Contains(out, "TOPIC_ALREADY_EXISTS") {
		t.Fatalf("second create should fail with TOPIC_ALREADY_EXISTS: %v\n%s", err, out)
	}
	out, err = run(t, "topic", "create", "bad", "--config", "retention.ms=abc", bs)
	if err == nil || !strings.Contains(out, "INVALID_CONFIG") {
		t.Fatalf("bad config should fail with INVALID_CONFIG: %v\n%s", err, out)
	}
	out, err = run(t, "topic", "list", "-o", "json", bs)
	if err != nil {
		t.Fatal(err)
	}
	rows := jsonRows(t, out)
	if len(rows) != 1 || rows[0]["topic"] != "orders" || rows[0]["partitions"] != "3" {
		t.Fatalf("list: %v", rows)
	}
	out, err = run(t, "topic", "describe", "orders", "-o", "json", bs)
	if err != nil {
		t.Fatal(err)
	}
	if rows := jsonRows(t, out); len(rows) != 3 || rows[2]["partition"] != "2" || rows[2]["end"] != "0" {
		t.Fatalf("describe: %v", rows)
	}
	if out, err = run(t, "topic", "delete", "orders", bs); err != nil || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if out, err = run(t, "topic", "describe", "orders", bs); err == nil || !strings.Contains(out, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Fatalf("describe after delete: %v\n%s", err, out)
	}
	if _, err = run(t, "topic", "list", "-o", "yaml", bs); err == nil {
		t.Fatal("unknown --output accepted")
	}
}

package integration

// Running the Node (kafkajs) and Python (kafka-python) client scripts: the
// cluster goes in KAFKA_* variables, records in and out as JSON lines.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runClientScript runs interpreter with args in dir, feeding recs as JSON
// lines on stdin, and returns the JSON-lines records it printed. It fails
// the test on a non-zero exit, showing the script's stderr.
func runClientScript(t *testing.T, c *Cluster, dir, interpreter string, recs []record, args ...string) []record {
	t.Helper()
	var stdin bytes.Buffer
	enc := json.NewEncoder(&stdin)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, interpreter, args...)
	cmd.Dir = dir
	cmd.Env = c.scriptEnv()
	cmd.Stdin = &stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", filepath.Base(interpreter), strings.Join(args, " "), err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("%s %s stderr:\n%s", filepath.Base(interpreter), strings.Join(args, " "), stderr.String())
	}
	return decodeJSONLines[record](t, stdout.Bytes())
}

// nodeScript runs integration/js/<script> with node.
func nodeScript(t *testing.T, c *Cluster, recs []record, script string, args ...string) []record {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join("js", "node_modules", "kafkajs")); err != nil {
		t.Fatalf("kafkajs is not installed: run `npm ci` in integration/js (scripts/test.sh does): %v", err)
	}
	return runClientScript(t, c, "js", node, recs, append([]string{script}, args...)...)
}

// debianPython is Debian's interpreter, which sees the apt-installed
// python3-kafka (a pyenv python3 earlier on PATH would not).
const debianPython = "/usr/bin/python3"

// pythonScript runs integration/python/<script> with Debian's python3.
func pythonScript(t *testing.T, c *Cluster, recs []record, script string, args ...string) []record {
	t.Helper()
	if _, err := os.Stat(debianPython); err != nil {
		t.Fatalf("%s is missing (scripts/test.sh installs python3-kafka): %v", debianPython, err)
	}
	return runClientScript(t, c, "python", debianPython, recs, append([]string{script}, args...)...)
}

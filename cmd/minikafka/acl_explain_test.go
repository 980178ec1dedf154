package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/storage/bolt"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "minikafka", SilenceUsage: true, SilenceErrors: true}
	for _, c := range commands {
		root.AddCommand(c())
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

var explainACLs = []az.ACL{
	{ResourceType: az.ResourceTopic, ResourceName: "orders", PatternType: az.PatternLiteral, Principal: "User:alice", Host: "*", Operation: az.OpWrite, Permission: az.PermAllow},
	{ResourceType: az.ResourceTopic, ResourceName: "ord", PatternType: az.PatternPrefixed, Principal: "Group:x", Host: "10.0.0.9", Operation: az.OpWrite, Permission: az.PermDeny},
	{ResourceType: az.ResourceTopic, ResourceName: "orders", PatternType: az.PatternLiteral, Principal: "User:bob", Host: "*", Operation: az.OpWrite, Permission: az.PermAllow},
	{ResourceType: az.ResourceTopic, ResourceName: "payments", PatternType: az.PatternLiteral, Principal: "User:alice", Host: "*", Operation: az.OpWrite, Permission: az.PermAllow},
}

// writeDataDir stores ACLs in a data directory as a stopped broker leaves
// it.
func writeDataDir(t *testing.T, acls []az.ACL) string {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := bolt.NewACLStore(db)
	if err != nil {
		t.Fatal(err)
	}
	z := acl.New(st)
	if err := z.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := z.Seed(context.Background(), acls); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestACLExplainDataDir(t *testing.T) {
	dir := writeDataDir(t, explainACLs)
	base := []string{"acl", "explain", "--principal", "User:alice", "--host", "10.0.0.9", "--operation", "write", "--topic", "orders", "--data-dir", dir}
	out, err := runCLI(t, append(base, "--group-principal", "Group:x")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DENIED: User:alice WRITE on Topic:orders from 10.0.0.9",
		"a DENY ACL matches Group:x",
		" * DENY Group:x WRITE on Topic:PREFIXED:ord from host 10.0.0.9 (via Group:x)",
		"   ALLOW User:alice WRITE on Topic:LITERAL:orders from host * (via User:alice)",
		"principal User:bob is not the subject (User:alice, Group:x) or User:*",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "payments") {
		t.Errorf("output lists an ACL of another resource:\n%s", out)
	}

	out, err = runCLI(t, append(base, "-o", "json")...)
	if err != nil {
		t.Fatal(err)
	}
	var j jsonExplanation
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("JSON output: %v\n%s", err, out)
	}
	if !j.Allowed || j.MatchedVia != "User:alice" || len(j.Matched) != 1 || !j.Matched[0].Deciding || len(j.NearMisses) != 2 {
		t.Fatalf("JSON explanation without the group = %+v", j)
	}
}

func TestACLExplainConfig(t *testing.T) {
	dir := writeDataDir(t, explainACLs)
	props := filepath.Join(t.TempDir(), "server.properties")
	conf := "log.dirs=" + dir + "\nauthorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\nsuper.users=Group:admins\nallow.everyone.if.no.acl.found=true\n"
	if err := os.WriteFile(props, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "acl", "explain", "--principal", "User:carol", "--group-principal", "Group:admins", "--host", "10.0.0.1",
		"--operation", "DELETE", "--topic", "orders", "--config", props)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ALLOWED") || !strings.Contains(out, "Group:admins is listed in super.users") {
		t.Fatalf("super user through --config:\n%s", out)
	}
	out, err = runCLI(t, "acl", "explain", "--principal", "User:carol", "--host", "10.0.0.1", "--operation", "READ", "--group", "g", "--config", props)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ALLOWED") || !strings.Contains(out, "allow.everyone.if.no.acl.found=true") {
		t.Fatalf("allow.everyone through --config:\n%s", out)
	}
}

func TestACLExplainRunningBroker(t *testing.T) {
	_, addr := minikafka.Start(t, minikafka.WithSuperUsers("User:ANONYMOUS"), minikafka.WithACLs(explainACLs...))
	out, err := runCLI(t, "acl", "explain", "--principal", "User:alice", "--group-principal", "Group:x", "--host", "10.0.0.9",
		"--operation", "WRITE", "--topic", "orders", "--bootstrap-server", addr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "DENIED") || !strings.Contains(out, "resourceName=ord, patternType=PREFIXED, principal=Group:x") || strings.Contains(out, "payments") {
		t.Fatalf("explain against a running broker:\n%s", out)
	}
	// The data directory of a running broker is locked.
	dir := t.TempDir()
	minikafka.Start(t, minikafka.WithConfig(minikafka.Config{DataDir: dir}), minikafka.WithAuthorization())
	if _, err := runCLI(t, "acl", "explain", "--principal", "User:a", "--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("explain on a locked data dir: %v", err)
	}
}

func TestACLExplainFlagErrors(t *testing.T) {
	dir := writeDataDir(t, nil)
	cases := map[string]struct {
		args []string
		want string
	}{
		"no principal":  {[]string{"--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--data-dir", dir}, "--principal, --host and --operation are required"},
		"bad principal": {[]string{"--principal", "alice", "--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--data-dir", dir}, "expected a string in format principalType:principalName but got alice"},
		"host name":     {[]string{"--principal", "User:a", "--host", "localhost", "--operation", "READ", "--topic", "t", "--data-dir", dir}, "is not an IP address"},
		"two resources": {[]string{"--principal", "User:a", "--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--cluster", "--data-dir", dir}, "exactly one resource"},
		"bad operation": {[]string{"--principal", "User:a", "--host", "1.2.3.4", "--operation", "FLY", "--topic", "t", "--data-dir", dir}, "unknown operation"},
		"bad output":    {[]string{"--principal", "User:a", "--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--data-dir", dir, "-o", "yaml"}, "--output"},
		"two sources":   {[]string{"--principal", "User:a", "--host", "1.2.3.4", "--operation", "READ", "--topic", "t", "--data-dir", dir, "--bootstrap-server", "127.0.0.1:1"}, "not both"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := runCLI(t, append([]string{"acl", "explain"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

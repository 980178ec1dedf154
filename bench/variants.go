package main

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/authorizer"
)

// target is one broker to measure: a name and its options ("+opt").
type target struct {
	name string
	opts []string
}

func (t target) String() string {
	if len(t.opts) == 0 {
		return t.name
	}
	return t.name + "+" + strings.Join(t.opts, "+")
}

func parseTargets(s string) ([]target, error) {
	var out []target
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(f), "+")
		t := target{name: parts[0], opts: parts[1:]}
		switch t.name {
		case "minikafka":
			for _, o := range t.opts {
				if _, ok := minikafkaOptions[o]; !ok {
					return nil, fmt.Errorf("target %q: unknown option %q (have: %s)", f, o, optionNames())
				}
			}
		case "kfake":
			if len(t.opts) > 0 {
				return nil, fmt.Errorf("target %q: kfake takes no options", f)
			}
		default:
			return nil, fmt.Errorf("target %q: want minikafka[+option...] or kfake", f)
		}
		if seen[t.String()] {
			return nil, fmt.Errorf("target %q given twice", f)
		}
		seen[t.String()] = true
		out = append(out, t)
	}
	return out, nil
}

// minikafkaOptions are the variants a minikafka target can be run in; each
// adjusts the Config of the broker process. Add a variant here (e.g. a
// different storage backend) and it is available as minikafka+NAME.
var minikafkaOptions = map[string]func(*minikafka.Config) error{
	// nometrics turns the Prometheus metrics off (they are on by default).
	"nometrics": func(c *minikafka.Config) error { c.DisableMetrics = true; return nil },
	// audit formats every authorization decision, allowed ones included
	// (Kafka's kafka.authorizer.logger at DEBUG), into a discarding
	// writer: the cost of audit without the cost of a disk. It only has
	// decisions to log when authorization is on (+authz).
	"audit": func(c *minikafka.Config) error {
		c.AuditLogger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
		return nil
	},
	// authz turns authorization on with ACLs that allow the benchmark's
	// principal everything it does; see enableAuthz.
	"authz": enableAuthz,
}

// enableAuthz turns authorization on (minikafka's ACL authorizer) with
// ACLs allowing User:ANONYMOUS exactly what the benchmark does: create,
// write, read and describe its topic, and write idempotently. So every
// produce and fetch is allowed by a matching ACL, among fillerACLs ACLs of
// other principals on other topics that the index has to skip.
func enableAuthz(c *minikafka.Config) error {
	const user = "User:ANONYMOUS"
	c.Authorizer.Enabled = true
	for _, op := range []authorizer.Operation{authorizer.OpCreate, authorizer.OpWrite, authorizer.OpRead, authorizer.OpDescribe} {
		c.Authorizer.ACLs = append(c.Authorizer.ACLs, minikafka.AllowACL(user, op, authorizer.ResourceTopic, topicName))
	}
	c.Authorizer.ACLs = append(c.Authorizer.ACLs, minikafka.AllowACL(user, authorizer.OpIdempotentWrite, authorizer.ResourceCluster, authorizer.ClusterName))
	for i := 0; i < fillerACLs; i++ {
		c.Authorizer.ACLs = append(c.Authorizer.ACLs, minikafka.AllowACL(fmt.Sprintf("User:user-%d", i), authorizer.OpWrite, authorizer.ResourceTopic, fmt.Sprintf("topic-%d", i)))
	}
	return nil
}

// fillerACLs is the number of unrelated ACLs of the authz variant.
const fillerACLs = 1000

func optionNames() string {
	var names []string
	for k := range minikafkaOptions {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

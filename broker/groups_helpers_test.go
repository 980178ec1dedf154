package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

// testClock is an injectable broker clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Unix(1_700_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// grantKey is one granted (operation, resource type, name); name "*" is
// the wildcard.
type grantKey struct {
	op   az.Operation
	rt   az.ResourceType
	name string
}

// grantAuthorizer allows exactly the granted actions, with Kafka's
// implications (ALL implies everything; READ, WRITE, DELETE and ALTER
// imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS). It stands in
// for the ACL authorizer: these tests check which actions the handlers
// ask for, not how ACLs are matched.
type grantAuthorizer struct {
	mu     sync.Mutex
	grants map[grantKey]bool
}

func newGrants(keys ...grantKey) *grantAuthorizer {
	g := &grantAuthorizer{grants: map[grantKey]bool{}}
	for _, k := range keys {
		g.grants[k] = true
	}
	return g
}

func (g *grantAuthorizer) has(op az.Operation, rt az.ResourceType, name string) bool {
	return g.grants[grantKey{op, rt, name}] || g.grants[grantKey{op, rt, "*"}]
}

func (g *grantAuthorizer) Authorize(_ *az.RequestContext, a az.Action) az.Decision {
	g.mu.Lock()
	defer g.mu.Unlock()
	rt, name := a.Resource.Type, a.Resource.Name
	ok := g.has(a.Operation, rt, name) || g.has(az.OpAll, rt, name)
	switch a.Operation {
	case az.OpDescribe:
		for _, imp := range []az.Operation{az.OpRead, az.OpWrite, az.OpDelete, az.OpAlter} {
			ok = ok || g.has(imp, rt, name)
		}
	case az.OpDescribeConfigs:
		ok = ok || g.has(az.OpAlterConfigs, rt, name)
	}
	if ok {
		return az.Decision{Result: az.Allow, Rule: az.RuleMatchingACL}
	}
	return az.Decision{Result: az.Deny, Rule: az.RuleDefaultDeny}
}

// startGroupBroker starts a broker with one PLAINTEXT listener on
// loopback and in-memory logs; mod adjusts the config first.
func startGroupBroker(t *testing.T, mod func(*Config)) (*Broker, string) {
	t.Helper()
	return startBroker(t, func(c *Config) {
		c.NumPartitions = 1
		if mod != nil {
			mod(c)
		}
	})
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func createGroupTopic(t *testing.T, ctx context.Context, cl *kgo.Client, name string, partitions int32) {
	t.Helper()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t *testing.T, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", d, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send issues a raw request at a pinned version.
func send[R kmsg.Response](t *testing.T, cl *kgo.Client, req kmsg.Request, version int16) R {
	t.Helper()
	req.SetVersion(version)
	resp, err := cl.Request(context.Background(), pinned{req})
	if err != nil {
		t.Fatalf("%s v%d: %v", kmsg.NameForKey(req.Key()), version, err)
	}
	return resp.(R)
}

// pinned stops kgo from negotiating the version of a request.
type pinned struct{ kmsg.Request }

func (p pinned) MaxVersion() int16 { return p.GetVersion() }

// snapshot reads a group's state, generation and member count.
func (gc *groupCoordinator) snapshot(id string) (groupState, int32, int) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	g := gc.groups[id]
	if g == nil {
		return groupDead, -1, 0
	}
	return g.state, g.generation, len(g.members)
}

package acl_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/principal"
)

// benchACLs builds about n ACLs shaped like Kafka's AuthorizerBenchmark
// (spec §5): resources foo-bar35_resource-<i>, every 10th a GROUP and the
// rest TOPICs, every 5th PREFIXED (80% literal, 20% prefixed); 10 ACLs per
// resource for a rotating mix of User: and Group: principals (READ, 10%
// of them DENY); 10 host-specific ACLs on PREFIXED foo-bar35_resource-
// and n/100 host-specific ACLs on the LITERAL wildcard.
func benchACLs(n int) []az.ACL {
	r := rand.New(rand.NewSource(1))
	resources := (n - 10 - n/100) / 10
	acls := make([]az.ACL, 0, n)
	for i := 0; i < resources; i++ {
		rt, pt := az.ResourceTopic, az.PatternLiteral
		if i%10 == 0 {
			rt = az.ResourceGroup
		}
		if i%5 == 0 {
			pt = az.PatternPrefixed
		}
		for j := 0; j < 10; j++ {
			p := fmt.Sprintf("User:test-user%d", (i+j)%20)
			if j%2 == 1 {
				p = fmt.Sprintf("Group:test-group%d", (i+j)%20)
			}
			perm := az.PermAllow
			if r.Intn(10) == 0 {
				perm = az.PermDeny
			}
			acls = append(acls, az.ACL{ResourceType: rt, ResourceName: fmt.Sprintf("foo-bar35_resource-%d", i), PatternType: pt,
				Principal: p, Host: "*", Operation: az.OpRead, Permission: perm})
		}
	}
	for j := 0; j < 10; j++ {
		acls = append(acls, az.ACL{ResourceType: az.ResourceTopic, ResourceName: "foo-bar35_resource-", PatternType: az.PatternPrefixed,
			Principal: "User:test-user0", Host: fmt.Sprintf("127.0.0.%d", j+10), Operation: az.OpRead, Permission: az.PermAllow})
	}
	for j := 0; j < n/100; j++ {
		acls = append(acls, az.ACL{ResourceType: az.ResourceTopic, ResourceName: "*", PatternType: az.PatternLiteral,
			Principal: fmt.Sprintf("User:test-user%d", j%20), Host: fmt.Sprintf("10.%d.%d.%d", j>>16&255, j>>8&255, j&255), Operation: az.OpRead, Permission: az.PermAllow})
	}
	return acls
}

// benchSubject is User:test-user0 with 10 groups.
func benchSubject() *principal.Subject {
	s := &principal.Subject{User: principal.User("test-user0")}
	for g := 0; g < 10; g++ {
		s.Groups = append(s.Groups, principal.Group(fmt.Sprintf("test-group%d", g)))
	}
	return s
}

var benchSizes = []int{10000, 200000}

func newBenchAuthorizer(b *testing.B, n int) *acl.Authorizer {
	b.Helper()
	z, err := acl.NewMemory(benchACLs(n)...)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC() // do not time the collection of the setup garbage
	return z
}

var sink az.Decision

// loop runs fn b.N times on a locked OS thread and also reports the
// thread's CPU time per operation (cpu-ns/op), which stays meaningful when
// the machine is busy and wall time (ns/op) includes waiting for a CPU.
func loop(b *testing.B, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, ok := threadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.StopTimer()
	if end, ok2 := threadCPU(); ok && ok2 {
		b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkAuthorize is one decision through the default chain (3 super
// users, the ACL authorizer, allow.everyone off).
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range benchSizes {
		z := newBenchAuthorizer(b, n)
		sus, _ := az.ParseSuperUsers("User:admin;User:broker;Group:admins")
		chain := &az.Chain{SuperUsers: sus, Authorizers: []az.Authorizer{z}}
		ctx := &az.RequestContext{Subject: benchSubject(), Host: "127.0.0.2", APIKey: 0}
		cases := []struct {
			name   string
			action az.Action
			want   az.Result
		}{
			// Kafka's testAuthorizer: WRITE on resource 95 ends in DefaultDeny
			// after looking at every ACL that applies to the name.
			{"write-defaultdeny", az.NewAction(az.OpWrite, az.ResourceTopic, "foo-bar35_resource-95"), az.Deny},
			{"read-allowed", az.NewAction(az.OpRead, az.ResourceTopic, "foo-bar35_resource-1"), az.Allow},
			{"describe-prefixed", az.NewAction(az.OpDescribe, az.ResourceTopic, "foo-bar35_resource-955"), az.Allow},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("acls=%d/%s", z.Len(), c.name), func(b *testing.B) {
				if d := chain.Authorize(ctx, c.action); d.Result != c.want {
					b.Fatalf("%v = %v %s, want %v", c.action, d.Result, d.RuleString(), c.want)
				}
				loop(b, func() { sink = chain.Authorize(ctx, c.action) })
			})
		}
	}
}

// BenchmarkAuthorizeByResourceType is Kafka's testAuthorizeByResourceType
// (READ on TOPIC from 127.0.0.2) and a WRITE that no ACL grants.
func BenchmarkAuthorizeByResourceType(b *testing.B) {
	for _, n := range benchSizes {
		z := newBenchAuthorizer(b, n)
		chain := &az.Chain{Authorizers: []az.Authorizer{z}}
		ctx := &az.RequestContext{Subject: benchSubject(), Host: "127.0.0.2", APIKey: 22}
		for _, c := range []struct {
			name string
			op   az.Operation
			want az.Result
		}{{"read", az.OpRead, az.Allow}, {"write-none", az.OpWrite, az.Deny}} {
			b.Run(fmt.Sprintf("acls=%d/%s", z.Len(), c.name), func(b *testing.B) {
				if d := chain.AuthorizeByResourceType(ctx, c.op, az.ResourceTopic); d.Result != c.want {
					b.Fatalf("got %v, want %v", d.Result, c.want)
				}
				loop(b, func() { sink = chain.AuthorizeByResourceType(ctx, c.op, az.ResourceTopic) })
			})
		}
	}
}

// BenchmarkCreateDelete is the cost of one CreateAcls and one DeleteAcls
// of one ACL (two new snapshots) with n ACLs present, for a principal with
// few ACLs ("fresh") and for User:test-user0, which holds about n/20
// ACLs of the same operation ("busy principal").
func BenchmarkCreateDelete(b *testing.B) {
	for _, n := range benchSizes {
		z := newBenchAuthorizer(b, n)
		for _, c := range []struct{ name, principal string }{{"fresh", "User:x"}, {"busy-principal", "User:test-user0"}} {
			a := az.ACL{ResourceType: az.ResourceTopic, ResourceName: "new-topic", PatternType: az.PatternLiteral,
				Principal: c.principal, Host: "*", Operation: az.OpRead, Permission: az.PermAllow}
			f := az.ACLFilter{ResourceType: az.ResourceTopic, ResourceName: &a.ResourceName, PatternType: az.PatternLiteral, Operation: az.OpAny, Permission: az.PermAny}
			b.Run(fmt.Sprintf("acls=%d/%s", z.Len(), c.name), func(b *testing.B) {
				loop(b, func() {
					if _, err := z.CreateACLs(context.Background(), []az.ACL{a}); err != nil {
						b.Fatal(err)
					}
					if _, err := z.DeleteACLs(context.Background(), []az.ACLFilter{f}); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// Package acltest holds the authorization conformance table (spec
// §4 and the Group: extension) so that it runs both against the ACL
// authorizer directly and over the wire against a broker.
package acltest

import (
	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// Shorthands used by the table.
const (
	T  = az.ResourceTopic
	G  = az.ResourceGroup
	C  = az.ResourceCluster
	L  = az.PatternLiteral
	P  = az.PatternPrefixed
	A  = az.Allow
	D  = az.Deny
	OK = az.PermAllow
	NO = az.PermDeny
)

// DefaultHost is the client address of checks that do not name one.
const DefaultHost = "192.168.0.1"

// ACL builds an ACL.
func ACL(rt az.ResourceType, name string, pt az.PatternType, principal, host string, op az.Operation, perm az.Permission) az.ACL {
	return az.ACL{ResourceType: rt, ResourceName: name, PatternType: pt, Principal: principal, Host: host, Operation: op, Permission: perm}
}

// Check is one authorization: Who (user principal) with Groups from Host
// (DefaultHost when empty) does Op on (RT, Name); ByType asks
// authorizeByResourceType(Op, RT) instead.
type Check struct {
	Who    string
	Groups []string
	Host   string
	Op     az.Operation
	RT     az.ResourceType
	Name   string
	ByType bool
	Want   az.Result
	// Rule, when set, is the expected Decision.RuleString().
	Rule string
	// Matched, when set, is the expected Decision.Principal.
	Matched string
}

// Step adds ACLs, then runs checks.
type Step struct {
	Add    []az.ACL
	Checks []Check
}

// Case is one conformance case: the chain settings and its steps.
type Case struct {
	SuperUsers    string // super.users
	AllowEveryone bool   // allow.everyone.if.no.acl.found
	// NotReady runs the case before the ACLs are loaded.
	NotReady bool
	Steps    []Step
}

// Subject builds the subject of a check.
func Subject(who string, groups []string) *principal.Subject {
	p, err := principal.Parse(who)
	if err != nil {
		panic(err)
	}
	s := &principal.Subject{User: p}
	for _, g := range groups {
		gp, err := principal.Parse(g)
		if err != nil {
			panic(err)
		}
		s.Groups = append(s.Groups, gp)
	}
	return s
}

var concreteOps = []az.Operation{az.OpRead, az.OpWrite, az.OpCreate, az.OpDelete, az.OpAlter, az.OpDescribe, az.OpClusterAction,
	az.OpDescribeConfigs, az.OpAlterConfigs, az.OpIdempotentWrite, az.OpCreateTokens, az.OpDescribeTokens}

// Cases returns the conformance table of spec/authorization.md §4 (cases
// 1–39, named by number) and the Group: extension (G1–G7), keyed by name.
func Cases() map[string]Case {
	alice, bob := "User:alice", "User:bob"
	rd := func(who, name string, want az.Result) Check {
		return Check{Who: who, Op: az.OpRead, RT: T, Name: name, Want: want}
	}
	op := func(who string, o az.Operation, name string, want az.Result) Check {
		return Check{Who: who, Op: o, RT: T, Name: name, Want: want}
	}
	hostTable := []az.ACL{
		ACL(T, "foo", L, alice, "192.168.1.1", az.OpRead, NO),
		ACL(T, "foo", L, alice, "*", az.OpRead, OK),
		ACL(T, "bar", L, bob, "192.168.1.2", az.OpRead, OK),
		ACL(T, "bar", L, "User:*", "127.0.0.1", az.OpDescribe, OK),
	}
	hostRow := func(who, host string, want ...az.Result) []Check {
		return []Check{
			{Who: who, Host: host, Op: az.OpRead, RT: T, Name: "foo", Want: want[0]},
			{Who: who, Host: host, Op: az.OpRead, RT: T, Name: "bar", Want: want[1]},
			{Who: who, Host: host, Op: az.OpDescribe, RT: T, Name: "bar", Want: want[2]},
		}
	}
	clusterAll := []Check{}
	for _, o := range concreteOps {
		clusterAll = append(clusterAll, Check{Who: alice, Op: o, RT: C, Name: az.ClusterName, Want: A})
	}
	clusterDenyDescribe := []Check{}
	for _, o := range concreteOps {
		want := A
		if o == az.OpDescribe {
			want = D
		}
		clusterDenyDescribe = append(clusterDenyDescribe, Check{Who: alice, Op: o, RT: C, Name: az.ClusterName, Want: want})
	}
	brt := func(who, host string, o az.Operation, rt az.ResourceType, want az.Result) Check {
		return Check{Who: who, Host: host, Op: o, RT: rt, ByType: true, Want: want}
	}
	return map[string]Case{
		"01 no ACLs denies": {Steps: []Step{{Checks: []Check{{Who: alice, Op: az.OpRead, RT: T, Name: "foo", Want: D, Rule: "DefaultDeny"}}}}},
		"02 no ACLs with allow.everyone allows": {AllowEveryone: true, Steps: []Step{{Checks: []Check{
			{Who: alice, Op: az.OpRead, RT: T, Name: "foo", Want: A, Rule: "DefaultAllow"}}}}},
		"03 allow.everyone applies only without resource ACLs": {AllowEveryone: true, Steps: []Step{{
			Add: []az.ACL{ACL(T, "topic1", L, "User:Alice", "*", az.OpRead, OK)},
			Checks: []Check{
				{Who: "User:Bob", Op: az.OpRead, RT: T, Name: "topic1", Want: D, Rule: "DefaultDeny"},
				{Who: "User:Bob", Op: az.OpRead, RT: T, Name: "topic2", Want: A, Rule: "DefaultAllow"},
			}}}},
		"04 a wildcard ACL counts as a resource ACL, per type": {AllowEveryone: true, Steps: []Step{{
			Add: []az.ACL{ACL(T, "*", L, "User:x", "*", az.OpRead, OK)},
			Checks: []Check{
				{Who: bob, Op: az.OpRead, RT: T, Name: "any", Want: D},
				{Who: bob, Op: az.OpRead, RT: G, Name: "g", Want: A},
			}}}},
		"05 a prefixed ACL counts as a resource ACL": {AllowEveryone: true, Steps: []Step{{
			Add:    []az.ACL{ACL(T, "fo", P, "User:x", "*", az.OpRead, OK)},
			Checks: []Check{rd(bob, "foo", D), rd(bob, "bar", A)}}}},
		"06 deny takes precedence, per host": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "User:*", "*", az.OpAll, OK), ACL(T, "t", L, alice, "192.168.2.1", az.OpAll, NO)},
			Checks: []Check{
				{Who: alice, Host: "192.168.2.1", Op: az.OpRead, RT: T, Name: "t", Want: D, Matched: alice},
				{Who: alice, Host: "10.0.0.1", Op: az.OpRead, RT: T, Name: "t", Want: A, Matched: "User:*"},
			}}}},
		"07 deny precedence with operation ALL": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "foo", L, alice, "*", az.OpAll, NO),
				ACL(T, "foo", P, alice, "*", az.OpRead, OK),
				ACL(T, "foo", L, "User:*", "*", az.OpAll, NO),
				ACL(T, "foo", P, "User:*", "*", az.OpDescribe, OK),
			},
			Checks: []Check{
				op(alice, az.OpWrite, "foo", D), op(alice, az.OpRead, "foo", D), op(alice, az.OpDescribe, "foo", D),
				op(alice, az.OpRead, "foobar", A), op(bob, az.OpDescribe, "foobaz", A), op(bob, az.OpRead, "foobaz", D),
			}}}},
		"08 prefixed ACLs": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "fooa", P, alice, "*", az.OpAll, OK),
				ACL(T, "foobar", L, bob, "*", az.OpAll, OK),
				ACL(T, "f", P, bob, "*", az.OpAll, OK),
			},
			Checks: []Check{
				op(bob, az.OpWrite, "foobarr", A), op(bob, az.OpRead, "goobar", D), op(bob, az.OpRead, "fooa", A),
				op(alice, az.OpDescribe, "fooa", A), op(alice, az.OpWrite, "bar", D),
			}}}},
		"09 many ACLs, with Kafka's audit rules": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "green2", L, "User:*", "*", az.OpRead, OK),
				ACL(T, "green", P, bob, "*", az.OpRead, OK),
				ACL(T, "alpha", P, "User:*", "*", az.OpRead, OK),
				ACL(T, "alp", P, bob, "*", az.OpRead, NO),
				ACL(G, "*", L, bob, "*", az.OpWrite, OK),
				ACL(G, "wheel", L, "User:*", "*", az.OpWrite, NO),
			},
			Checks: []Check{
				{Who: bob, Host: "127.0.0.1", Op: az.OpRead, RT: T, Name: "green1", Want: A,
					Rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=green, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=ALLOW))"},
				{Who: bob, Op: az.OpWrite, RT: G, Name: "wheel", Want: D},
				{Who: bob, Host: "127.0.0.1", Op: az.OpRead, RT: T, Name: "alpha", Want: D,
					Rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=alp, patternType=PREFIXED, principal=User:bob, host=*, operation=READ, permissionType=DENY))"},
				{Who: bob, Op: az.OpWrite, RT: G, Name: "arbitrary", Want: A},
				rd(bob, "ala", D),
			}}}},
		"10 a literal name that is only a prefix does not match": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "foobar", L, alice, "*", az.OpRead, OK)}, Checks: []Check{rd(alice, "foobarbaz", D)}}}},
		"11 a prefix matches its own name": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "foo", P, alice, "*", az.OpRead, OK)}, Checks: []Check{rd(alice, "foo", A)}}}},
		"12 single-character resource ACLs": {Steps: []Step{{
			Add:    []az.ACL{ACL(T, "f", L, "User:*", "*", az.OpRead, OK), ACL(T, "_", P, "User:*", "*", az.OpRead, OK)},
			Checks: []Check{rd(alice, "f", A), rd(alice, "foo", D), rd(alice, "_foo", A), rd(alice, "_", A), rd(alice, "foo_", D)}}}},
		"13 PREFIXED * is not a wildcard": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "*", P, alice, "*", az.OpRead, OK)}, Checks: []Check{rd(alice, "foo", D), rd(alice, "*x", A)}}}},
		"14 wildcard ACLs": {Steps: []Step{
			{Add: []az.ACL{ACL(T, "*", L, "User:u1", "10.0.0.1", az.OpRead, OK)},
				Checks: []Check{{Who: "User:u1", Host: "10.0.0.1", Op: az.OpRead, RT: T, Name: "t", Want: A}}},
			{Add: []az.ACL{ACL(T, "t", L, "User:u1", "10.0.0.1", az.OpWrite, OK), ACL(T, "*", L, "User:u1", "10.0.0.1", az.OpWrite, NO)},
				Checks: []Check{{Who: "User:u1", Host: "10.0.0.1", Op: az.OpWrite, RT: T, Name: "t", Want: D}}},
		}},
		"15 wildcards are per resource type": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "*", L, alice, "*", az.OpRead, OK)}, Checks: []Check{{Who: alice, Op: az.OpRead, RT: G, Name: "g", Want: D}}}}},
		"16 empty resource name": {Steps: []Step{
			{Checks: []Check{{Who: alice, Op: az.OpRead, RT: G, Name: "", Want: D}}},
			{Add: []az.ACL{ACL(G, "*", L, "User:*", "*", az.OpRead, OK)}, Checks: []Check{{Who: alice, Op: az.OpRead, RT: G, Name: "", Want: A}}},
		}},
		"17 names are case-sensitive": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "foo", L, alice, "*", az.OpRead, OK)}, Checks: []Check{rd(alice, "Foo", D)}}}},
		"18 principal types are case-sensitive": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "user:alice", "*", az.OpRead, OK)}, Checks: []Check{rd(alice, "t", D)}}}},
		"19 User:* matches a session principal of any type": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "User:*", "*", az.OpRead, OK)}, Checks: []Check{rd("Group:devs", "t", A)}}}},
		"20 Group:* is not a wildcard": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "Group:*", "*", az.OpRead, OK)}, Checks: []Check{rd("Group:devs", "t", D)}}}},
		"21 a Group session principal matches its ACL": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "Group:devs", "*", az.OpRead, OK)}, Checks: []Check{rd("Group:devs", "t", A)}}}},
		"22 host address table": {Steps: []Step{{
			Add: hostTable,
			Checks: concat(
				hostRow(alice, "127.0.0.1", A, D, A), hostRow(alice, "192.168.1.1", D, D, D), hostRow(alice, "192.168.1.2", A, D, D),
				hostRow(bob, "127.0.0.1", D, D, A), hostRow(bob, "192.168.1.1", D, D, D), hostRow(bob, "192.168.1.2", D, A, A),
			)}}},
		"23 a deny on the wildcard host wins": {Steps: []Step{{
			Add:    []az.ACL{ACL(T, "t", L, alice, "*", az.OpRead, NO), ACL(T, "t", L, alice, "10.0.0.5", az.OpRead, OK)},
			Checks: []Check{{Who: alice, Host: "10.0.0.5", Op: az.OpRead, RT: T, Name: "t", Want: D}}}}},
		"24 no host name resolution": {Steps: []Step{{
			Add:    []az.ACL{ACL(T, "t", L, alice, "localhost", az.OpRead, OK)},
			Checks: []Check{{Who: alice, Host: "127.0.0.1", Op: az.OpRead, RT: T, Name: "t", Want: D}}}}},
		"25 READ WRITE DELETE ALTER imply DESCRIBE, CREATE does not": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "r", L, alice, "*", az.OpRead, OK), ACL(T, "w", L, alice, "*", az.OpWrite, OK),
				ACL(T, "d", L, alice, "*", az.OpDelete, OK), ACL(T, "a", L, alice, "*", az.OpAlter, OK),
				ACL(T, "c", L, alice, "*", az.OpCreate, OK),
			},
			Checks: []Check{
				op(alice, az.OpDescribe, "r", A), op(alice, az.OpDescribe, "w", A), op(alice, az.OpDescribe, "d", A),
				op(alice, az.OpDescribe, "a", A), op(alice, az.OpDescribe, "c", D),
			}}}},
		"26 ALTER_CONFIGS implies DESCRIBE_CONFIGS only": {Steps: []Step{{
			Add:    []az.ACL{ACL(T, "ac", L, alice, "*", az.OpAlterConfigs, OK), ACL(T, "dc", L, alice, "*", az.OpDescribeConfigs, OK)},
			Checks: []Check{op(alice, az.OpDescribeConfigs, "ac", A), op(alice, az.OpAlterConfigs, "dc", D)}}}},
		"27 deny does not imply": {Steps: []Step{{
			Add:    []az.ACL{ACL(T, "t", L, alice, "*", az.OpRead, NO), ACL(T, "t", L, alice, "*", az.OpAll, OK)},
			Checks: []Check{op(alice, az.OpRead, "t", D), op(alice, az.OpDescribe, "t", A), op(alice, az.OpWrite, "t", A)}}}},
		"28 deny DESCRIBE plus allow ALL on the cluster": {Steps: []Step{{
			Add:    []az.ACL{ACL(C, az.ClusterName, L, alice, "*", az.OpDescribe, NO), ACL(C, az.ClusterName, L, alice, "*", az.OpAll, OK)},
			Checks: clusterDenyDescribe}}},
		"29 allow ALL on the cluster": {Steps: []Step{{
			Add: []az.ACL{ACL(C, az.ClusterName, L, alice, "*", az.OpAll, OK)}, Checks: clusterAll}}},
		"30 WRITE does not imply READ": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, alice, "*", az.OpWrite, OK)}, Checks: []Check{op(alice, az.OpRead, "t", D), op(alice, az.OpWrite, "t", A)}}}},
		"31 topic ACLs with operation ALL": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "foo", L, "User:*", "*", az.OpAll, OK), ACL(T, "bar", P, alice, "*", az.OpAll, OK), ACL(T, "baz", L, bob, "*", az.OpAll, OK),
			},
			Checks: []Check{
				op(alice, az.OpWrite, "foo", A), op(alice, az.OpDescribeConfigs, "bar", A), op(alice, az.OpDescribe, "baz", D),
				op(bob, az.OpWrite, "foo", A), op(bob, az.OpRead, "bar", D), op(bob, az.OpDescribe, "baz", A),
			}}}},
		"32 super users bypass DENY ALL on User:*": {SuperUsers: "User:superuser1; User:superuser2", Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "User:*", "*", az.OpAll, NO)},
			Checks: []Check{
				{Who: "User:superuser1", Op: az.OpRead, RT: T, Name: "t", Want: A, Rule: "SuperUser", Matched: "User:superuser1"},
				{Who: "User:superuser2", Op: az.OpRead, RT: T, Name: "t", Want: A, Rule: "SuperUser"},
				rd(alice, "t", D),
			}}}},
		"34a super.users User:* is not a wildcard": {SuperUsers: "User:*", Steps: []Step{{Checks: []Check{rd(alice, "t", D)}}}},
		"34b super.users Group:admins makes that session principal super": {SuperUsers: "Group:admins", Steps: []Step{{
			Add:    []az.ACL{ACL(T, "t", L, "User:*", "*", az.OpAll, NO)},
			Checks: []Check{rd("Group:admins", "t", A), rd(alice, "t", D)}}}},
		"35 before the initial load only super users are allowed": {SuperUsers: "User:su", NotReady: true, Steps: []Step{{Checks: []Check{
			{Who: "User:su", Op: az.OpRead, RT: T, Name: "t", Want: A, Rule: "SuperUser"},
			{Who: alice, Op: az.OpRead, RT: T, Name: "t", Want: D, Rule: "NotReady"},
			{Who: alice, Op: az.OpWrite, RT: T, ByType: true, Want: D},
		}}}},
		"36 byResourceType: add and remove": {Steps: []Step{
			{Checks: []Check{brt("User:u1", "", az.OpRead, T, D)}},
			{Add: []az.ACL{ACL(T, "t1", L, "User:u1", "*", az.OpRead, OK)}, Checks: []Check{brt("User:u1", "", az.OpRead, T, A)}},
			{Add: []az.ACL{ACL(T, "t1", L, "User:u1", "*", az.OpRead, NO)}, Checks: []Check{brt("User:u1", "", az.OpRead, T, D)}},
		}},
		"37 byResourceType: prefixed deny dominates": {Steps: []Step{
			{Add: []az.ACL{ACL(G, "abcde", P, "User:u1", "*", az.OpRead, OK)}, Checks: []Check{brt("User:u1", "", az.OpRead, G, A)}},
			{Add: []az.ACL{ACL(G, "abcd", P, "User:u1", "*", az.OpRead, NO)}, Checks: []Check{brt("User:u1", "", az.OpRead, G, D)}},
			{Add: []az.ACL{ACL(G, "abc", P, "User:u1", "*", az.OpRead, OK)}, Checks: []Check{brt("User:u1", "", az.OpRead, G, A)}},
			{Add: []az.ACL{ACL(G, "a", P, "User:u1", "*", az.OpRead, NO)}, Checks: []Check{brt("User:u1", "", az.OpRead, G, D)}},
			{Add: []az.ACL{ACL(G, "ab", P, "User:u1", "*", az.OpRead, OK)}, Checks: []Check{brt("User:u1", "", az.OpRead, G, D)}},
		}},
		"38 byResourceType: wildcard deny dominates": {Steps: []Step{
			{Add: []az.ACL{ACL(G, "hello", P, "User:u1", "*", az.OpWrite, OK)}, Checks: []Check{brt("User:u1", "", az.OpWrite, G, A)}},
			{Add: []az.ACL{ACL(G, "*", L, "User:u1", "*", az.OpWrite, NO)}, Checks: []Check{brt("User:u1", "", az.OpWrite, G, D)}},
			{Add: []az.ACL{ACL(G, "*", L, "User:u1", "*", az.OpWrite, OK)}, Checks: []Check{brt("User:u1", "", az.OpWrite, G, D)}},
			{Add: []az.ACL{ACL(G, "aloha", L, "User:u1", "*", az.OpWrite, OK)}, Checks: []Check{brt("User:u1", "", az.OpWrite, G, D)}},
		}},
		"39 byResourceType: unrelated denies do not dominate": {Steps: []Step{{
			Add: []az.ACL{
				ACL(T, "t1", L, "User:u1", "*", az.OpRead, OK),
				ACL(T, "t1", L, "User:u1", "10.0.0.1", az.OpRead, NO),
				ACL(T, "t1", L, "User:u2", "*", az.OpRead, NO),
				ACL(T, "t1", L, "User:u1", "*", az.OpWrite, NO),
				ACL(T, "*", L, "User:u2", "*", az.OpRead, NO),
			},
			Checks: []Check{brt("User:u1", "10.0.0.2", az.OpRead, T, A), brt("User:u1", "10.0.0.1", az.OpRead, T, D), brt("User:u2", "10.0.0.2", az.OpRead, T, D)}}}},

		// The Group: extension (spec §6).
		"G1 user and group ACLs both grant": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "test", L, alice, "*", az.OpWrite, OK), ACL(T, "test2", L, "Group:supergroup", "*", az.OpWrite, OK)},
			Checks: []Check{
				{Who: alice, Groups: []string{"Group:supergroup"}, Op: az.OpWrite, RT: T, Name: "test", Want: A, Matched: alice},
				{Who: alice, Groups: []string{"Group:supergroup"}, Op: az.OpWrite, RT: T, Name: "test2", Want: A, Matched: "Group:supergroup",
					Rule: "MatchingAcl(acl=StandardAcl(resourceType=TOPIC, resourceName=test2, patternType=LITERAL, principal=Group:supergroup, host=*, operation=WRITE, permissionType=ALLOW))"},
				{Who: alice, Op: az.OpWrite, RT: T, Name: "test2", Want: D, Rule: "DefaultDeny"},
				{Who: alice, Groups: []string{"Group:supergroup"}, Op: az.OpDescribe, RT: T, Name: "test2", Want: A},
				{Who: alice, Groups: []string{"Group:supergroup"}, Op: az.OpRead, RT: T, Name: "test2", Want: D},
			}}}},
		"G2 a deny on a group beats an allow on the user": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, alice, "*", az.OpWrite, OK), ACL(T, "t", P, "Group:blocked", "*", az.OpWrite, NO)},
			Checks: []Check{
				{Who: alice, Groups: []string{"Group:ok", "Group:blocked"}, Op: az.OpWrite, RT: T, Name: "t", Want: D, Matched: "Group:blocked"},
				{Who: alice, Groups: []string{"Group:ok"}, Op: az.OpWrite, RT: T, Name: "t", Want: A, Matched: alice},
			}}}},
		"G3 super.users may list groups": {SuperUsers: "User:su;Group:admins", Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "User:*", "*", az.OpAll, NO)},
			Checks: []Check{
				{Who: alice, Groups: []string{"Group:devs", "Group:admins"}, Op: az.OpDelete, RT: T, Name: "t", Want: A, Rule: "SuperUser", Matched: "Group:admins"},
				{Who: alice, Groups: []string{"Group:devs"}, Op: az.OpDelete, RT: T, Name: "t", Want: D},
			}}}},
		"G4 User:* applies to group members, Group:* does not": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "a", L, "User:*", "*", az.OpRead, OK), ACL(T, "b", L, "Group:*", "*", az.OpRead, OK)},
			Checks: []Check{
				{Who: alice, Groups: []string{"Group:devs"}, Op: az.OpRead, RT: T, Name: "a", Want: A, Matched: "User:*"},
				{Who: alice, Groups: []string{"Group:devs"}, Op: az.OpRead, RT: T, Name: "b", Want: D},
			}}}},
		"G5 byResourceType through groups": {Steps: []Step{
			{Add: []az.ACL{ACL(T, "orders-", P, "Group:writers", "*", az.OpWrite, OK)}, Checks: []Check{
				{Who: alice, Groups: []string{"Group:writers"}, Op: az.OpWrite, RT: T, ByType: true, Want: A},
				{Who: alice, Op: az.OpWrite, RT: T, ByType: true, Want: D},
			}},
			{Add: []az.ACL{ACL(T, "orders", P, "Group:quarantine", "*", az.OpWrite, NO)}, Checks: []Check{
				{Who: alice, Groups: []string{"Group:writers", "Group:quarantine"}, Op: az.OpWrite, RT: T, ByType: true, Want: D},
				{Who: alice, Groups: []string{"Group:writers"}, Op: az.OpWrite, RT: T, ByType: true, Want: A},
			}},
		}},
		"G6 subjects with many groups": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, "Group:g99", "*", az.OpRead, OK), ACL(T, "u", L, "Group:g80", "*", az.OpRead, NO), ACL(T, "u", L, "User:*", "*", az.OpRead, OK)},
			Checks: []Check{
				{Who: alice, Groups: manyGroups(100), Op: az.OpRead, RT: T, Name: "t", Want: A, Matched: "Group:g99"},
				{Who: alice, Groups: manyGroups(100), Op: az.OpRead, RT: T, Name: "u", Want: D, Matched: "Group:g80"},
				{Who: alice, Groups: manyGroups(50), Op: az.OpRead, RT: T, Name: "u", Want: A},
			}}}},
		"G7 IPv6 hosts match in any spelling": {Steps: []Step{{
			Add: []az.ACL{ACL(T, "t", L, alice, "0:0:0:0:0:0:0:1", az.OpRead, OK), ACL(T, "u", L, alice, "::1", az.OpRead, OK), ACL(T, "v", L, alice, "::FFFF:10.1.2.3", az.OpRead, OK)},
			Checks: []Check{
				{Who: alice, Host: "::1", Op: az.OpRead, RT: T, Name: "t", Want: A},
				{Who: alice, Host: "::1", Op: az.OpRead, RT: T, Name: "u", Want: A},
				{Who: alice, Host: "::2", Op: az.OpRead, RT: T, Name: "u", Want: D},
				{Who: alice, Host: "10.1.2.3", Op: az.OpRead, RT: T, Name: "v", Want: A},
			}}}},
	}
}

// manyGroups returns Group:g0 .. Group:g<n-1>.
func manyGroups(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "Group:g" + itoa(i)
	}
	return out
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func concat(cs ...[]Check) []Check {
	var out []Check
	for _, c := range cs {
		out = append(out, c...)
	}
	return out
}

package acl_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/authorizer/acl/acltest"
	"github.com/minikafka/minikafka/principal"
)

// The conformance table of spec/authorization.md §4 (cases 1–39) plus the
// Group: extension, at the authorizer level: an acl.Authorizer inside the
// default Chain (super users → ACLs → allow.everyone.if.no.acl.found).

func mk(rt az.ResourceType, name string, pt az.PatternType, principal, host string, op az.Operation, perm az.Permission) az.ACL {
	return acltest.ACL(rt, name, pt, principal, host, op, perm)
}

const (
	T  = acltest.T
	G  = acltest.G
	C  = acltest.C
	L  = acltest.L
	P  = acltest.P
	OK = acltest.OK
	NO = acltest.NO
)

func subject(who string, groups []string) *principal.Subject { return acltest.Subject(who, groups) }

func itoa(i int) string { return strconv.Itoa(i) }

func TestConformance(t *testing.T) {
	for name, tc := range acltest.Cases() {
		t.Run(name, func(t *testing.T) {
			sus, err := az.ParseSuperUsers(tc.SuperUsers)
			if err != nil {
				t.Fatal(err)
			}
			z := acl.New(nil)
			if !tc.NotReady {
				if err := z.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			chain := &az.Chain{SuperUsers: sus, Authorizers: []az.Authorizer{z}, AllowEveryoneIfNoACL: tc.AllowEveryone}
			for si, st := range tc.Steps {
				if len(st.Add) > 0 {
					res, err := z.CreateACLs(context.Background(), st.Add)
					if err != nil {
						t.Fatalf("step %d: CreateACLs: %v", si, err)
					}
					for i, e := range res {
						if e != nil {
							t.Fatalf("step %d: ACL %v rejected: %v", si, st.Add[i], e)
						}
					}
				}
				for _, c := range st.Checks {
					host := c.Host
					if host == "" {
						host = acltest.DefaultHost
					}
					ctx := &az.RequestContext{Subject: acltest.Subject(c.Who, c.Groups), Host: host, APIKey: 1}
					var d az.Decision
					desc := c.Who + " " + c.Op.String() + " " + c.RT.PascalName() + ":" + c.Name
					if c.ByType {
						d = chain.AuthorizeByResourceType(ctx, c.Op, c.RT)
						desc = c.Who + " " + c.Op.String() + " any " + c.RT.PascalName()
					} else {
						d = chain.Authorize(ctx, az.NewAction(c.Op, c.RT, c.Name))
					}
					if len(c.Groups) > 0 && len(c.Groups) < 5 {
						desc += " groups=" + strings.Join(c.Groups, ",")
					}
					desc += " from " + ctx.Host
					if d.Result != c.Want {
						t.Errorf("step %d: %s = %v (%s), want %v", si, desc, d.Result, d.RuleString(), c.Want)
					}
					if c.Rule != "" && d.RuleString() != c.Rule {
						t.Errorf("step %d: %s rule = %s, want %s", si, desc, d.RuleString(), c.Rule)
					}
					if c.Matched != "" && d.Principal.String() != c.Matched {
						t.Errorf("step %d: %s matched principal = %q, want %q", si, desc, d.Principal.String(), c.Matched)
					}
				}
			}
		})
	}
}

// Case 33: a super.users entry without a colon is rejected with Kafka's
// message.
func TestSuperUsersParse(t *testing.T) {
	cases := map[string]struct {
		in   string
		want []string
		err  string
	}{
		"spaces and empties": {in: " User:superuser1; User:superuser2 ;; ", want: []string{"User:superuser1", "User:superuser2"}},
		"groups":             {in: "Group:admins;User:CN=a,O=b:c", want: []string{"Group:admins", "User:CN=a,O=b:c"}},
		"empty":              {in: "", want: nil},
		"no colon":           {in: "bob", err: "expected a string in format principalType:principalName but got bob"},
		"one bad entry":      {in: "User:a;bob", err: "expected a string in format principalType:principalName but got bob"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := az.ParseSuperUsers(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseSuperUsers(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if strings.Join(s, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("ParseSuperUsers(%q) = %v, want %v", tc.in, s, tc.want)
			}
		})
	}
}

func TestParseBoolean(t *testing.T) {
	for in, want := range map[string]bool{"true": true, " TRUE ": true, "True": true, "false": false, "yes": false, "1": false, "": false} {
		if got := az.ParseBoolean(in); got != want {
			t.Errorf("ParseBoolean(%q) = %v, want %v", in, got, want)
		}
	}
}

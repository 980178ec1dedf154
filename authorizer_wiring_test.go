package minikafka_test

import (
	"strings"
	"testing"

	"github.com/minikafka/minikafka"
	az "github.com/minikafka/minikafka/authorizer"
)

func applyProps(t *testing.T, text string) (minikafka.Config, []string, error) {
	t.Helper()
	p, err := minikafka.ParseProperties(strings.NewReader(text), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	var c minikafka.Config
	w, err := p.Apply(&c)
	return c, w, err
}

func TestAuthorizerProperties(t *testing.T) {
	cases := map[string]struct {
		props   string
		err     string // substring of the error
		enabled bool
		supers  []string
		allow   bool
		acls    []az.ACL
	}{
		"standard authorizer": {
			props:   "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\nsuper.users= User:superuser1; User:superuser2 ;Group:admins\nallow.everyone.if.no.acl.found= TRUE \n",
			enabled: true, supers: []string{"User:superuser1", "User:superuser2", "Group:admins"}, allow: true,
		},
		"old AclAuthorizer name":                         {props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n", enabled: true},
		"no authorizer: super.users ignored as in Kafka": {props: "super.users=User:x\nallow.everyone.if.no.acl.found=true\n"},
		"parseBoolean: yes is false":                     {props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nallow.everyone.if.no.acl.found=yes\n", enabled: true},
		"unknown class":                                  {props: "\nauthorizer.class.name=com.example.Custom\n", err: "server.properties:2: authorizer.class.name: authorizer \"com.example.Custom\" is not available"},
		"super.users without colon": {
			props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nsuper.users=bob\n",
			err:   "server.properties:2: super.users: expected a string in format principalType:principalName but got bob",
		},
		"seeded ACLs": {
			props: `authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
minikafka.acl.writers.principal=Group:writers
minikafka.acl.writers.operation=WRITE, describe
minikafka.acl.writers.resource.type=topic
minikafka.acl.writers.resource.name=orders-
minikafka.acl.writers.pattern.type=PREFIXED
minikafka.acl.a-deny.principal=User:mallory
minikafka.acl.a-deny.operation=ALL
minikafka.acl.a-deny.resource.type=CLUSTER
minikafka.acl.a-deny.resource.name=kafka-cluster
minikafka.acl.a-deny.permission=DENY
minikafka.acl.a-deny.host=10.0.0.1
`,
			enabled: true,
			acls: []az.ACL{
				{ResourceType: az.ResourceCluster, ResourceName: "kafka-cluster", PatternType: az.PatternLiteral, Principal: "User:mallory", Host: "10.0.0.1", Operation: az.OpAll, Permission: az.PermDeny},
				{ResourceType: az.ResourceTopic, ResourceName: "orders-", PatternType: az.PatternPrefixed, Principal: "Group:writers", Host: "*", Operation: az.OpWrite, Permission: az.PermAllow},
				{ResourceType: az.ResourceTopic, ResourceName: "orders-", PatternType: az.PatternPrefixed, Principal: "Group:writers", Host: "*", Operation: az.OpDescribe, Permission: az.PermAllow},
			},
		},
		"seeded ACL missing a field": {
			props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nminikafka.acl.x.principal=User:a\nminikafka.acl.x.operation=READ\n",
			err:   "minikafka.acl.x.resource.type is required",
		},
		"seeded ACL bad operation": {
			props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nminikafka.acl.x.principal=User:a\nminikafka.acl.x.operation=FLY\nminikafka.acl.x.resource.type=TOPIC\nminikafka.acl.x.resource.name=t\n",
			err:   "server.properties:3: minikafka.acl.x.operation: unknown operation \"FLY\"",
		},
		"seeded ACL invalid for Kafka": {
			props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nminikafka.acl.x.principal=User:a\nminikafka.acl.x.operation=ALTER\nminikafka.acl.x.resource.type=CLUSTER\nminikafka.acl.x.resource.name=c\n",
			err:   "The only valid name for the CLUSTER resource is kafka-cluster",
		},
		"seeded ACL unknown key": {
			props: "authorizer.class.name=kafka.security.authorizer.AclAuthorizer\nminikafka.acl.x.colour=red\n",
			err:   "server.properties:2: minikafka.acl.x.colour: unknown ACL key",
		},
		"seeded ACLs without an authorizer": {
			props: "minikafka.acl.x.principal=User:a\nminikafka.acl.x.operation=READ\nminikafka.acl.x.resource.type=TOPIC\nminikafka.acl.x.resource.name=t\n",
			err:   "ACLs are configured but authorizer.class.name is not set",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, warnings, err := applyProps(t, tc.props)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Fatalf("warnings: %v", warnings)
			}
			a := c.Authorizer
			if a.Enabled != tc.enabled || a.AllowEveryoneIfNoACL != tc.allow || strings.Join(a.SuperUsers, ",") != strings.Join(tc.supers, ",") {
				t.Fatalf("Authorizer = %+v", a)
			}
			if len(a.ACLs) != len(tc.acls) {
				t.Fatalf("ACLs = %v, want %v", a.ACLs, tc.acls)
			}
			for i := range a.ACLs {
				if a.ACLs[i] != tc.acls[i] {
					t.Fatalf("ACL %d = %+v, want %+v", i, a.ACLs[i], tc.acls[i])
				}
			}
		})
	}
}

func TestAuthorizerConfigValidation(t *testing.T) {
	listeners := []minikafka.Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}
	cases := map[string]struct {
		cfg minikafka.AuthorizerConfig
		err string
	}{
		"super users with authorization off": {minikafka.AuthorizerConfig{SuperUsers: []string{"User:a"}}, "authorization is off"},
		"ACLs with authorization off":        {minikafka.AuthorizerConfig{ACLs: []az.ACL{minikafka.AllowACL("User:a", az.OpRead, az.ResourceTopic, "t")}}, "authorization is off"},
		"bad super user":                     {minikafka.AuthorizerConfig{Enabled: true, SuperUsers: []string{"bob"}}, "super.users: expected a string in format principalType:principalName but got bob"},
		"invalid seeded ACL":                 {minikafka.AuthorizerConfig{Enabled: true, ACLs: []az.ACL{minikafka.AllowACL("bob", az.OpRead, az.ResourceTopic, "t")}}, "Could not parse principal from `bob`"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := minikafka.New(minikafka.Config{Listeners: listeners, Authorizer: tc.cfg})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("New error = %v, want %q", err, tc.err)
			}
		})
	}
}

package minikafka

import (
	"sort"

	"github.com/minikafka/minikafka/authorizer"
)

// DevConfig is the development default of `minikafka serve` with no
// arguments: a secured broker, as the systems it stands in for are.
//
//   - 127.0.0.1:9092, SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and
//     SCRAM-SHA-512, and the users of DevUsers for every mechanism;
//   - the admin HTTP listener on 127.0.0.1:9644 (/metrics, /healthz);
//   - ACLs on (DevACLs): admin is a super user, alice may produce and
//     consume every topic and use every group and transactional id, bob
//     may only consume; everyone else is denied.
//
// There is deliberately no unauthenticated listener.
func DevConfig() Config {
	users := DevUsers()
	cfg := Config{
		Listeners: []Listener{{
			Name:             "SASL_PLAINTEXT",
			Addr:             "127.0.0.1:9092",
			SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms:       []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"},
		}},
		NumPartitions: 1,
		AdminAddr:     "127.0.0.1:9644",
	}
	cfg.SASL.PlainUsers = users
	for _, name := range sortedNames(users) {
		cfg.SASL.ScramUsers = append(cfg.SASL.ScramUsers, ScramUser{Name: name, Password: users[name]}) // both SCRAM mechanisms
	}
	devOAuth(&cfg) // OAUTHBEARER + development token issuer (oauth_dev.go)
	cfg.Authorizer = AuthorizerConfig{Enabled: true, SuperUsers: []string{"User:admin"}, ACLs: DevACLs()}
	return cfg
}

// DevACLs are the ACLs of DevConfig: alice produces and consumes, bob only
// consumes.
func DevACLs() []authorizer.ACL {
	return []authorizer.ACL{
		AllowACL("User:alice", authorizer.OpAll, authorizer.ResourceTopic, "*"),
		AllowACL("User:alice", authorizer.OpRead, authorizer.ResourceGroup, "*"),
		AllowACL("User:alice", authorizer.OpWrite, authorizer.ResourceTransactionalID, "*"),
		AllowACL("User:bob", authorizer.OpRead, authorizer.ResourceTopic, "*"),
		AllowACL("User:bob", authorizer.OpRead, authorizer.ResourceGroup, "*"),
	}
}

// DevUsers returns the demo users of DevConfig (name → password). They
// are documented in the README and printed by `minikafka serve`.
func DevUsers() map[string]string {
	return map[string]string{
		"admin": "admin-secret",
		"alice": "alice-secret",
		"bob":   "bob-secret",
	}
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

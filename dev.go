package minikafka

import "sort"

// DevConfig is the development default of `minikafka serve` with no
// arguments: a secured broker, as the systems it stands in for are.
//
//   - 127.0.0.1:9092, SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and
//     SCRAM-SHA-512, and the users of DevUsers for every mechanism;
//   - the admin HTTP listener on 127.0.0.1:9644 (/metrics, /healthz).
//
// There is deliberately no unauthenticated listener. Authorization is not
// on in this default yet. The ACL authorizer's owner turns it on here with
// cfg.Authorizer = AuthorizerConfig{Enabled: true, SuperUsers:
// []string{"User:admin"}} (plus demo ACLs for alice and bob), so that admin
// may do anything and the others only what ACLs grant them; the serve
// banner and the README then need a line about it.
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
	return cfg
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

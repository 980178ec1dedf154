package minikafka

import "slices"

// Development defaults of OAUTHBEARER (used by DevConfig): the built-in
// issuer with one client, and OAUTHBEARER on the first SASL listener (a
// SASL_PLAINTEXT listener on 127.0.0.1:9093 is added if there is none).
const (
	devOAuthClientID     = "kafka-client"
	devOAuthClientSecret = "kafka-secret"
)

func devOAuth(c *Config) {
	c.OAuth.Issuer.Enable = true
	c.OAuth.Issuer.Clients = map[string]OAuthIssuerClient{
		devOAuthClientID: {Secret: devOAuthClientSecret, Claims: map[string]any{"groups": []any{"kafka-dev"}}},
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.SecurityProtocol == "SASL_PLAINTEXT" || l.SecurityProtocol == "SASL_SSL" {
			if !slices.Contains(l.Mechanisms, "OAUTHBEARER") {
				l.Mechanisms = append(l.Mechanisms, "OAUTHBEARER")
			}
			return
		}
	}
	c.Listeners = append(c.Listeners, Listener{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:9093", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}})
}

package minikafka

import "slices"

// devOAuth adds the OAUTHBEARER part of DevConfig: the development token
// issuer, whose OAuth clients are the DevUsers (client id = user name,
// client secret = password, so a token's sub is the same principal as the
// PLAIN/SCRAM login), and OAUTHBEARER on the first SASL listener (a
// SASL_PLAINTEXT listener on 127.0.0.1:9093 is added if there is none).
func devOAuth(c *Config) {
	c.OAuth.Issuer.Enable = true
	c.OAuth.Issuer.Clients = map[string]OAuthIssuerClient{}
	for name, pass := range DevUsers() {
		c.OAuth.Issuer.Clients[name] = OAuthIssuerClient{Secret: pass}
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

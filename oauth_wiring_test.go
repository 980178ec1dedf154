package minikafka

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"
)

// TestOAuthPerListenerValidators: listener.name.<l>.oauthbearer.* settings
// apply to their listener only.
func TestOAuthPerListenerValidators(t *testing.T) {
	b, clock, _ := startReauthBroker(t, func(c *Config) {
		c.Listeners = append(c.Listeners, Listener{Name: "DEV", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}})
		c.OAuth.Listeners = map[string]OAuthValidation{"dev": {CallbackHandler: OAuthUnsecuredHandler}}
	})
	exp := clock.Now().Add(time.Minute).Unix()
	unsigned := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"dev-user","exp":%d}`, exp))) + "."
	signed := mint(t, b, "alice", time.Minute)
	tests := map[string]struct {
		listener, token string
		ok              bool
	}{
		"secure listener, issuer token":   {"SASL", signed, true},
		"secure listener, unsigned token": {"SASL", unsigned, false},
		"unsecured listener, unsigned":    {"DEV", unsigned, true},
		"unsecured listener, signed":      {"DEV", signed, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, b.Addr(tc.listener))
			if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 0 {
				t.Fatalf("handshake %d", hs.ErrorCode)
			}
			a := c.authenticate(oauthCIR(tc.token))
			ok := a.ErrorCode == 0 && len(a.SASLAuthBytes) == 0
			if ok != tc.ok {
				t.Fatalf("authenticated=%v, want %v (code %d, challenge %q)", ok, tc.ok, a.ErrorCode, a.SASLAuthBytes)
			}
			if !ok && string(a.SASLAuthBytes) != `{"status":"invalid_token"}` {
				t.Fatalf("challenge %q", a.SASLAuthBytes)
			}
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// The mechanisms mixed over the connections, in turn.
var mechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}

// Principals: usersPerMech PLAIN users, as many SCRAM users (both SCRAM
// mechanisms), and as many OAuth clients of the development issuer.
const usersPerMech = 16

func plainUser(i int) (string, string) {
	return fmt.Sprintf("plain-%d", i%usersPerMech), fmt.Sprintf("plain-secret-%d", i%usersPerMech)
}

func scramUser(i int) (string, string) {
	return fmt.Sprintf("scram-%d", i%usersPerMech), fmt.Sprintf("scram-secret-%d", i%usersPerMech)
}

func oauthClient(i int) (string, string) {
	return fmt.Sprintf("oauth-%d", i%usersPerMech), fmt.Sprintf("oauth-secret-%d", i%usersPerMech)
}

// brokerProperties configures the SASL listener: PLAIN users in the JAAS
// line, SCRAM users seeded (KIP-900 syntax), the development token issuer
// with one OAuth client per principal, its tokens valid for ttl.
func brokerProperties(listener string, ttl time.Duration) []string {
	var plainUsers, scramUsers []string
	for i := 0; i < usersPerMech; i++ {
		u, p := plainUser(i)
		plainUsers = append(plainUsers, fmt.Sprintf("user_%s=%q", u, p))
		su, sp := scramUser(i)
		scramUsers = append(scramUsers,
			fmt.Sprintf("SCRAM-SHA-256=[name=%s,password=%s]", su, sp),
			fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", su, sp))
	}
	props := []string{
		"sasl.enabled.mechanisms=" + strings.Join(mechanisms, ","),
		"listener.name." + strings.ToLower(listener) + ".plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required " +
			strings.Join(plainUsers, " ") + ";",
		"minikafka.scram.users=" + strings.Join(scramUsers, " "),
		"minikafka.oauth.issuer.enable=true",
		fmt.Sprintf("minikafka.oauth.issuer.token.ttl.ms=%d", ttl.Milliseconds()),
		"num.partitions=1",
		"auto.create.topics.enable=false",
		"connections.max.idle.ms=3600000",
	}
	for i := 0; i < usersPerMech; i++ {
		id, secret := oauthClient(i)
		props = append(props, fmt.Sprintf("minikafka.oauth.issuer.client.%s.secret=%s", id, secret))
	}
	return props
}

// tokens fetches one access token per OAuth client from the broker's
// development issuer (client_credentials grant, client_secret_basic).
func fetchTokens(ctx context.Context, adminAddr string) ([]string, error) {
	tokens := make([]string, usersPerMech)
	hc := &http.Client{Timeout: 10 * time.Second}
	for i := range tokens {
		id, secret := oauthClient(i)
		form := url.Values{"grant_type": {"client_credentials"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+adminAddr+"/oauth/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", id, err)
		}
		var body struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || body.AccessToken == "" {
			return nil, fmt.Errorf("token for %s: HTTP %s %s %v", id, resp.Status, body.Error, err)
		}
		tokens[i] = body.AccessToken
	}
	return tokens, nil
}

// mechanism returns the client mechanism of connection i: the mechanisms
// in turn, principals in turn within each.
func mechanism(i int, tokens []string) (string, sasl.Mechanism) {
	name := mechanisms[i%len(mechanisms)]
	k := i / len(mechanisms)
	switch name {
	case "PLAIN":
		u, p := plainUser(k)
		return name, plain.Auth{User: u, Pass: p}.AsMechanism()
	case "SCRAM-SHA-256":
		u, p := scramUser(k)
		return name, scram.Auth{User: u, Pass: p}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		u, p := scramUser(k)
		return name, scram.Auth{User: u, Pass: p}.AsSha512Mechanism()
	default:
		return name, oauth.Auth{Token: tokens[k%len(tokens)]}.AsMechanism()
	}
}

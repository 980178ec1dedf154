package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/sasl/oauthbearer"
)

func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func postForm(t *testing.T, u string, form url.Values, user, pass string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

func TestIssuerTokenEndpoint(t *testing.T) {
	b, _ := startBroker(t, nil)
	base := "http://" + b.AdminAddr()
	if b.IssuerURL() != base {
		t.Fatalf("issuer URL %q, want %q", b.IssuerURL(), base)
	}
	cc := url.Values{"grant_type": {"client_credentials"}}
	tests := map[string]struct {
		form       url.Values
		user, pass string
		status     int
		errCode    string
	}{
		"basic":                {form: url.Values{"grant_type": {"client_credentials"}, "scope": {"kafka"}}, user: "kafka-client-a", pass: "secret-a", status: 200},
		"post":                 {form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"kafka-client-b"}, "client_secret": {"secret-b"}}, status: 200},
		"wrong secret":         {form: cc, user: "kafka-client-a", pass: "nope", status: 401, errCode: "invalid_client"},
		"unknown client":       {form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}}, status: 401, errCode: "invalid_client"},
		"no authentication":    {form: cc, status: 401, errCode: "invalid_client"},
		"two methods":          {form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {"secret-a"}}, user: "kafka-client-a", pass: "secret-a", status: 400, errCode: "invalid_request"},
		"password grant":       {form: url.Values{"grant_type": {"password"}}, user: "kafka-client-a", pass: "secret-a", status: 400, errCode: "unsupported_grant_type"},
		"scope not allowed":    {form: url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, user: "kafka-client-a", pass: "secret-a", status: 400, errCode: "invalid_scope"},
		"any scope (no limit)": {form: url.Values{"grant_type": {"client_credentials"}, "scope": {"x y"}}, user: "kafka-client-b", pass: "secret-b", status: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, body, hdr := postForm(t, tokenURL(b), tc.form, tc.user, tc.pass)
			if status != tc.status || (tc.errCode != "" && body["error"] != tc.errCode) {
				t.Fatalf("status %d body %v", status, body)
			}
			if status == 401 && tc.user != "" && hdr.Get("WWW-Authenticate") == "" {
				t.Fatal("401 to Basic without WWW-Authenticate")
			}
			if status != 200 {
				return
			}
			if hdr.Get("Cache-Control") != "no-store" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
				t.Fatalf("response %v %v", hdr, body)
			}
			c := decodeClaims(t, body["access_token"].(string))
			id := tc.user + tc.form.Get("client_id")
			if c["sub"] != id || c["client_id"] != id || c["iss"] != base || c["aud"] != "kafka" || c["scope"] != body["scope"] {
				t.Fatalf("claims %v", c)
			}
			if _, ok := c["groups"].([]any); !ok {
				t.Fatalf("no groups claim: %v", c)
			}
		})
	}
	resp, err := http.Get(tokenURL(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET token: %d", resp.StatusCode)
	}
}

// TestIssuerServesExternalValidators: a validator that is not the broker
// (ours, configured as a separate Kafka would be) discovers the issuer,
// fetches its JWKS over HTTP and accepts its tokens.
func TestIssuerServesExternalValidators(t *testing.T) {
	b, _ := startBroker(t, nil)
	resp, err := http.Get("http://" + b.AdminAddr() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer        string   `json:"issuer"`
		TokenEndpoint string   `json:"token_endpoint"`
		JWKSURI       string   `json:"jwks_uri"`
		Grants        []string `json:"grant_types_supported"`
		AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.Issuer != b.IssuerURL() || disc.TokenEndpoint != tokenURL(b) || !slices.Equal(disc.Grants, []string{"client_credentials"}) ||
		!slices.Contains(disc.AuthMethods, "client_secret_post") {
		t.Fatalf("discovery %+v %v", disc, err)
	}
	jwks, err := oauthbearer.NewJWKS(context.Background(), oauthbearer.JWKSConfig{URL: disc.JWKSURI})
	if err != nil {
		t.Fatal(err)
	}
	defer jwks.Close()
	v, err := oauthbearer.NewJWTValidator(oauthbearer.JWTConfig{Keys: jwks, ExpectedAudience: []string{"kafka"}, ExpectedIssuer: disc.Issuer})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fetchToken(context.Background(), disc.TokenEndpoint, "kafka-client-a", "secret-a", "kafka", false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.Validate(context.Background(), tok)
	if err != nil || got.Principal != "kafka-client-a" || !slices.Equal(got.Scopes, []string{"kafka"}) {
		t.Fatalf("external validation: %+v %v", got, err)
	}
}

func TestMintToken(t *testing.T) {
	b, lb := startBroker(t, func(c *minikafka.Config) { c.OAuth.FailureReason = true })
	tok, err := b.MintToken("carol", map[string]any{"groups": []string{"ops"}, "tenant": "t1"}, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := decodeClaims(t, tok)
	if c["sub"] != "carol" || c["tenant"] != "t1" || c["exp"].(float64)-c["iat"].(float64) != 600 {
		t.Fatalf("claims %v", c)
	}
	ctx := ctxTimeout(t, 20*time.Second)
	if err := franzClient(t, b.Addr(listenerName), func(context.Context) (string, error) { return tok, nil }).Ping(ctx); err != nil {
		t.Fatalf("minted token refused: %v", err)
	}
	// A nil claim removes it: without iat the token is refused with the reason.
	noIat, _ := b.MintToken("carol", map[string]any{"iat": nil}, time.Minute)
	err = franzClient(t, b.Addr(listenerName), func(context.Context) (string, error) { return noIat, nil }).Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "No Issued At (iat) claim present.") {
		t.Fatalf("token without iat: %v", err)
	}
	if len(lb.lines("level=WARN", "No Issued At (iat) claim present.")) != 1 {
		t.Fatalf("log:\n%s", lb.String())
	}
	off, _ := startBroker(t, func(c *minikafka.Config) { c.OAuth.Issuer.Enable = false })
	if _, err := off.MintToken("x", nil, time.Minute); err == nil || !strings.Contains(err.Error(), "not enabled") {
		t.Fatalf("MintToken without issuer: %v", err)
	}
}

func TestJWKSStartupFailureNamesURL(t *testing.T) {
	const u = "http://127.0.0.1:1/jwks" // nothing listens on port 1
	_, err := minikafka.New(minikafka.Config{
		Listeners: []minikafka.Listener{{Name: listenerName, Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}}},
		OAuth:     minikafka.OAuthConfig{OAuthValidation: minikafka.OAuthValidation{JWKSURL: u, JWKSRetryBackoff: time.Millisecond, JWKSRetryBackoffMax: 50 * time.Millisecond}},
	})
	if err == nil || !strings.Contains(err.Error(), u) || !strings.Contains(err.Error(), "OAUTHBEARER") {
		t.Fatalf("New: %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("the cause is not wrapped: %v", err)
	}
}

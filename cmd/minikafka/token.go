package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/minikafka/minikafka"
)

func init() { commands = append(commands, tokenCommand) }

// tokenResponse is an OAuth 2.0 token endpoint answer (RFC 6749 §5).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type,omitempty"`
	ExpiresIn   int64  `json:"expires_in,omitempty"`
	Scope       string `json:"scope,omitempty"`
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
}

// fetchToken runs the client-credentials grant (client_secret_basic) at
// endpoint.
func fetchToken(ctx context.Context, endpoint, id, secret, scope string) (*tokenResponse, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token request to %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	var body tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("token response from %s (HTTP %d): %w", endpoint, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint %s: %s: %s (HTTP %d)", endpoint, body.Error, body.Description, resp.StatusCode)
	}
	return &body, nil
}

// tokenClaims decodes the claims of a JWT without verifying it (for
// display only).
func tokenClaims(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("JWT payload: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("JWT payload: %w", err)
	}
	return claims, nil
}

func tokenCommand() *cobra.Command {
	var endpoint, id, secret, scope, output, commandConfig string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get a token from the development issuer (OAuth client credentials)",
		Long: `Get an access token with the OAuth 2.0 client-credentials grant from minikafka's development
issuer (the token endpoint on the admin listener), or any token endpoint. Client id, secret, scope
and endpoint come from the flags, else from a Kafka client properties file (--command-config:
sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.scope and the clientId/clientSecret of
sasl.jaas.config). The raw token is printed by default (TOKEN=$(minikafka token ...)); --output
json prints the endpoint's answer with the token's claims, decoded without verification.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "raw" && output != "json" {
				return fmt.Errorf("--output: want raw or json, got %q", output)
			}
			if commandConfig != "" {
				if err := tokenSettings(commandConfig, &endpoint, &id, &secret, &scope, cmd.Flags().Changed); err != nil {
					return err
				}
			}
			if id == "" || secret == "" {
				return fmt.Errorf("--client-id and --client-secret are required")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			resp, err := fetchToken(ctx, endpoint, id, secret, scope)
			if err != nil {
				return err
			}
			if output == "raw" {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), resp.AccessToken)
				return err
			}
			out := struct {
				*tokenResponse
				Claims map[string]any `json:"claims,omitempty"`
			}{tokenResponse: resp}
			out.Claims, _ = tokenClaims(resp.AccessToken) // opaque tokens have none
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&endpoint, "token-endpoint", "http://127.0.0.1:9644"+minikafka.IssuerTokenPath, "OAuth token endpoint (default: the development issuer of `minikafka serve`)")
	fl.StringVar(&id, "client-id", "", "OAuth client id")
	fl.StringVar(&secret, "client-secret", "", "OAuth client secret")
	fl.StringVar(&scope, "scope", "", "space-separated scopes to request")
	fl.StringVarP(&output, "output", "o", "raw", "raw (the token alone) or json (the answer and the decoded claims)")
	fl.StringVar(&commandConfig, "command-config", "", "Kafka client properties file with the OAUTHBEARER settings")
	fl.DurationVar(&timeout, "timeout", 15*time.Second, "time limit for the request")
	return cmd
}

// tokenSettings fills the settings not given as flags from a Kafka client
// properties file.
func tokenSettings(path string, endpoint, id, secret, scope *string, changed func(string) bool) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--command-config: %w", err)
	}
	defer fh.Close()
	p, err := minikafka.ParseProperties(fh, path)
	if err != nil {
		return err
	}
	jaas, _ := p.Get("sasl.jaas.config")
	kv := map[string]string{}
	for _, m := range jaasOption.FindAllStringSubmatch(jaas, -1) {
		kv[m[1]] = strings.ReplaceAll(m[2], `\"`, `"`)
	}
	set := func(flag string, dst *string, vals ...string) {
		if changed(flag) {
			return
		}
		for _, v := range vals {
			if v != "" {
				*dst = v
				return
			}
		}
	}
	e, _ := p.Get("sasl.oauthbearer.token.endpoint.url")
	cid, _ := p.Get("sasl.oauthbearer.client.credentials.client.id")
	cs, _ := p.Get("sasl.oauthbearer.client.credentials.client.secret")
	sc, _ := p.Get("sasl.oauthbearer.scope")
	set("token-endpoint", endpoint, e)
	set("client-id", id, cid, kv["clientId"])
	set("client-secret", secret, cs, kv["clientSecret"])
	set("scope", scope, sc, kv["scope"])
	return nil
}

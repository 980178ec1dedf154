package jwtclaims

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/minikafka/minikafka/principal"
)

// The payloads of real tokens, as the OAUTHBEARER validator hands them to
// the builder (decoded with encoding/json).
const (
	// oidc-provider 9 client_credentials access token (clients.md §6).
	oidcProviderToken = `{"groups":["kafka-producers","team-a"],"jti":"39RQx2","sub":"kafka-client-a","iat":1795354227,
		"exp":1795354527,"scope":"kafka","client_id":"kafka-client-a","iss":"http://127.0.0.1:9400","aud":"kafka-broker"}`
	// Keycloak 26 access token with the "groups" mapper (full group path)
	// and realm and client roles.
	keycloakToken = `{"exp":1795354527,"iat":1795354227,"jti":"onrtcc:5b1c","iss":"http://127.0.0.1:8080/realms/kafka",
		"aud":["kafka-broker","account"],"sub":"8c2f6d0e-3f2a-4a8e-9a43-2c1b7d9e5f10","typ":"Bearer","azp":"kafka-client",
		"acr":"1","realm_access":{"roles":["offline_access","uma_authorization","default-roles-kafka","kafka-admin"]},
		"resource_access":{"kafka-broker":{"roles":["producer","consumer"]},"my.client":{"roles":["dotted"]},
		"account":{"roles":["manage-account","view-profile"]}},
		"scope":"profile email","groups":["/engineering/platform","/kafka-producers","/engineering/"],
		"preferred_username":"alice","client_id":"kafka-client","department":"eng, ops,,sales "}`
)

func claims(t *testing.T, payload string) *principal.AuthContext {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal([]byte(payload), &c); err != nil {
		t.Fatal(err)
	}
	return &principal.AuthContext{SecurityProtocol: "SASL_SSL", Mechanism: "OAUTHBEARER", Claims: c}
}

func TestGroups(t *testing.T) {
	tests := map[string]struct {
		cfg   Config
		token string
		want  string
	}{
		"oidc-provider groups":      {Config{}, oidcProviderToken, "[kafka-producers team-a]"},
		"keycloak realm roles":      {Config{Claim: "realm_access.roles"}, keycloakToken, "[offline_access uma_authorization default-roles-kafka kafka-admin]"},
		"keycloak jsonpath form":    {Config{Claim: "$.realm_access.roles"}, keycloakToken, "[offline_access uma_authorization default-roles-kafka kafka-admin]"},
		"keycloak client roles":     {Config{Claim: "resource_access.kafka-broker.roles"}, keycloakToken, "[producer consumer]"},
		"bracketed dotted name":     {Config{Claim: "resource_access['my.client'].roles"}, keycloakToken, "[dotted]"},
		"strimzi bracket form":      {Config{Claim: `$['resource_access']["my.client"]['roles']`}, keycloakToken, "[dotted]"},
		"keycloak full paths":       {Config{}, keycloakToken, "[/engineering/platform /kafka-producers /engineering/]"},
		"keycloak leaf only":        {Config{LeafOnly: true}, keycloakToken, "[platform kafka-producers engineering]"},
		"comma-separated string":    {Config{Claim: "department"}, keycloakToken, "[eng ops sales]"},
		"other delimiter":           {Config{Claim: "scope", Delimiter: " "}, keycloakToken, "[profile email]"},
		"missing claim":             {Config{Claim: "roles"}, oidcProviderToken, "[]"},
		"missing nested claim":      {Config{Claim: "realm_access.roles"}, oidcProviderToken, "[]"},
		"path through a non-object": {Config{Claim: "scope.x"}, oidcProviderToken, "[]"},
		"audience array as groups":  {Config{Claim: "aud"}, keycloakToken, "[kafka-broker account]"},
		"duplicates after leaf":     {Config{Claim: "g", LeafOnly: true}, `{"g":["/a/x","/b/x","x"]}`, "[x]"},
		"explicit null":             {Config{Claim: "g"}, `{"g":null}`, "[]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Groups(context.Background(), principal.User("alice"), claims(t, tc.token))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != tc.want {
				t.Fatalf("groups = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGroupsFromGoClaims(t *testing.T) {
	r, _ := New(Config{})
	got, err := r.Groups(context.Background(), principal.User("u"), &principal.AuthContext{Claims: map[string]any{"groups": []string{"a", "b"}}})
	if err != nil || fmt.Sprint(got) != "[a b]" {
		t.Fatalf("%v, %v", got, err)
	}
	// No claims (PLAIN, SCRAM, SSL): no groups, no error.
	if got, err := r.Groups(context.Background(), principal.User("u"), &principal.AuthContext{}); got != nil || err != nil {
		t.Fatalf("no claims: %v, %v", got, err)
	}
}

func TestGroupsWrongType(t *testing.T) {
	r, _ := New(Config{Claim: "iat"})
	if _, err := r.Groups(context.Background(), principal.User("u"), claims(t, oidcProviderToken)); err == nil || !strings.Contains(err.Error(), "group claim iat is a float64") {
		t.Fatalf("number claim: %v", err)
	}
	r, _ = New(Config{Claim: "g"})
	if _, err := r.Groups(context.Background(), principal.User("u"), claims(t, `{"g":["a",1]}`)); err == nil || !strings.Contains(err.Error(), "element 1") {
		t.Fatalf("mixed array: %v", err)
	}
	r, _ = New(Config{Claim: "realm_access"})
	if _, err := r.Groups(context.Background(), principal.User("u"), claims(t, keycloakToken)); err == nil {
		t.Fatal("object claim: no error")
	}
}

func TestParsePath(t *testing.T) {
	good := map[string]string{
		"groups":                        "[groups]",
		"$.realm_access.roles":          "[realm_access roles]",
		"a['b.c'].d":                    "[a b.c d]",
		"['a'].['b']":                   "[a b]",
		`$["x y"]`:                      "[x y]",
		" resource_access.kafka.roles ": "[resource_access kafka roles]",
	}
	for in, want := range good {
		p, err := ParsePath(in)
		if err != nil || fmt.Sprint(p) != want {
			t.Errorf("%q: %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "$", "a..b", "a.", "a[b]", "a['b", "$a", ".a."} {
		if p, err := ParsePath(in); err == nil {
			t.Errorf("%q: %v, want an error", in, p)
		}
	}
}

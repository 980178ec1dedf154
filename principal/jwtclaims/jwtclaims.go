// Package jwtclaims resolves a user's groups from a claim of the validated
// OAUTHBEARER token (principal.AuthContext.Claims), like Redpanda's
// oidc_group_claim_path and Strimzi's oauth.groups.claim: the claim may be
// an array of strings or one delimited string, at a nested path such as
// realm_access.roles (Keycloak), and path-like group names may be cut to
// their last element. It imports nothing else of minikafka.
package jwtclaims

import (
	"context"
	"fmt"
	"strings"

	"github.com/minikafka/minikafka/principal"
)

// Config configures a Resolver.
type Config struct {
	// Claim is the path of the claim holding the groups (default
	// "groups"): dot-separated names, optionally starting with "$." as in
	// JSONPath ("$.realm_access.roles"), with ['name'] for a name that
	// contains a dot ("resource_access['my.client'].roles").
	Claim string
	// Delimiter splits a claim that is one string (default ",").
	Delimiter string
	// LeafOnly keeps only the last element of path-like names
	// ("/eng/platform" becomes "platform"), Redpanda's
	// nested_group_behavior=suffix.
	LeafOnly bool
}

// Resolver reads groups from token claims. Connections without claims
// (any mechanism but OAUTHBEARER) have no groups from it.
type Resolver struct {
	path      []string
	claim     string
	delimiter string
	leafOnly  bool
}

// New validates cfg.
func New(cfg Config) (*Resolver, error) {
	if cfg.Claim == "" {
		cfg.Claim = "groups"
	}
	if cfg.Delimiter == "" {
		cfg.Delimiter = ","
	}
	path, err := ParsePath(cfg.Claim)
	if err != nil {
		return nil, err
	}
	return &Resolver{path: path, claim: cfg.Claim, delimiter: cfg.Delimiter, leafOnly: cfg.LeafOnly}, nil
}

// ParsePath splits a claim path into its names: "a.b", "$.a.b",
// "a['b.c']", "['a'].['b']".
func ParsePath(s string) ([]string, error) {
	bad := func(why string) error { return fmt.Errorf("group claim path %q: %s", s, why) }
	rest := strings.TrimSpace(s)
	if strings.HasPrefix(rest, "$") {
		rest = rest[1:]
	} else {
		rest = "." + rest // every name is now introduced by . or [
	}
	var path []string
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			if strings.HasPrefix(rest, "[") {
				continue
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, bad("empty name")
			}
			path = append(path, rest[:end])
			rest = rest[end:]
		case '[':
			if len(rest) < 2 || (rest[1] != '\'' && rest[1] != '"') {
				return nil, bad("want ['name']")
			}
			end := strings.IndexByte(rest[2:], rest[1])
			if end < 0 || !strings.HasPrefix(rest[2+end+1:], "]") {
				return nil, bad("unterminated ['name']")
			}
			path = append(path, rest[2:2+end])
			rest = rest[2+end+2:]
		default:
			return nil, bad("want . or [ before " + rest)
		}
	}
	if len(path) == 0 {
		return nil, bad("empty")
	}
	return path, nil
}

// Groups returns the groups in the claim. A missing claim means no
// groups; a claim of the wrong type (a number, an object, an array with a
// non-string) is an error, so that the builder's failure policy shows the
// misconfiguration.
func (r *Resolver) Groups(_ context.Context, _ principal.Principal, ac *principal.AuthContext) ([]string, error) {
	if ac == nil || ac.Claims == nil {
		return nil, nil
	}
	var v any = ac.Claims
	for _, name := range r.path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil
		}
		if v, ok = obj[name]; !ok {
			return nil, nil
		}
	}
	var raw []string
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		raw = strings.Split(t, r.delimiter)
	case []string:
		raw = t
	case []any:
		raw = make([]string, 0, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("group claim %s: element %d is a %T, not a string", r.claim, i, e)
			}
			raw = append(raw, s)
		}
	default:
		return nil, fmt.Errorf("group claim %s is a %T, not an array of strings or a string", r.claim, v)
	}
	out := make([]string, 0, len(raw))
	for _, g := range raw {
		g = strings.TrimSpace(g)
		if r.leafOnly {
			g = leaf(g)
		}
		if g != "" && !contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// leaf returns the last element of a path-like group name.
func leaf(g string) string {
	g = strings.TrimRight(g, "/")
	if i := strings.LastIndexByte(g, '/'); i >= 0 {
		return g[i+1:]
	}
	return g
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

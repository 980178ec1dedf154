package oauthbearer

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// UnsecuredConfig are the JAAS options of Kafka's unsecured validator
// (OAuthBearerUnsecuredValidatorCallbackHandler).
type UnsecuredConfig struct {
	// PrincipalClaim is unsecuredValidatorPrincipalClaimName (default sub).
	PrincipalClaim string
	// ScopeClaim is unsecuredValidatorScopeClaimName (default scope).
	ScopeClaim string
	// RequiredScopes is unsecuredValidatorRequiredScope (space-separated
	// in JAAS): every one must be in the token's scope.
	RequiredScopes []string
	// AllowableClockSkew is unsecuredValidatorAllowableClockSkewMs (default
	// 0; negative is a configuration error).
	AllowableClockSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// UnsecuredValidator is Kafka's development validator: the token must be
// an unsecured JWS (alg "none", empty signature) and its signature is, by
// construction, not checked. Never use it where tokens matter.
type UnsecuredValidator struct{ cfg UnsecuredConfig }

// NewUnsecuredValidator checks cfg and returns the validator.
func NewUnsecuredValidator(cfg UnsecuredConfig) (*UnsecuredValidator, error) {
	cfg.PrincipalClaim = strings.TrimSpace(cfg.PrincipalClaim)
	if cfg.PrincipalClaim == "" {
		cfg.PrincipalClaim = "sub"
	}
	cfg.ScopeClaim = strings.TrimSpace(cfg.ScopeClaim)
	if cfg.ScopeClaim == "" {
		cfg.ScopeClaim = "scope"
	}
	if cfg.AllowableClockSkew < 0 {
		return nil, fmt.Errorf("oauthbearer: allowable clock skew must not be negative: %d ms", cfg.AllowableClockSkew.Milliseconds())
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &UnsecuredValidator{cfg: cfg}, nil
}

// Validate implements Validator with the checks of Kafka's unsecured
// handler, in its order and with its messages. Like Kafka's code (and
// unlike its javadoc) nbf is ignored.
func (v *UnsecuredValidator) Validate(_ context.Context, token string) (*Token, error) {
	t, verr := v.validate(token)
	if verr != nil {
		return nil, verr
	}
	return t, nil
}

func (v *UnsecuredValidator) validate(token string) (*Token, *ValidationError) {
	if strings.Contains(token, "..") {
		return nil, invalidToken("Malformed compact serialization contains '..'")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, invalidToken("Unsecured JWS compact serializations must have 3 dot-separated Base64URL-encoded values")
	}
	header, err := decodeSection(parts[0], "header")
	if err != nil {
		return nil, err
	}
	claims, err := decodeSection(parts[1], "payload")
	if err != nil {
		return nil, err
	}
	if alg, _ := header["alg"].(string); alg != "none" {
		return nil, invalidToken("Unsecured JWS must have 'none' for an algorithm")
	}
	if parts[2] != "" {
		return nil, invalidToken("Unsecured JWS must not contain a digital signature")
	}
	scopes, err := unsecuredScope(claims, v.cfg.ScopeClaim)
	if err != nil {
		return nil, err
	}
	exp, ok, err := numericDate(claims, "exp")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, invalidToken("No expiration time in JWT")
	}
	pv, present := claims[v.cfg.PrincipalClaim]
	principal, isString := pv.(string)
	if present && pv != nil && !isString {
		return nil, invalidToken("The '%s' claim was not of type String: %s", v.cfg.PrincipalClaim, jsonType(pv))
	}
	if strings.TrimSpace(principal) == "" {
		return nil, invalidToken("No principal name in JWT claim: %s", v.cfg.PrincipalClaim)
	}
	iat, hasIat, err := numericDate(claims, "iat")
	if err != nil {
		return nil, err
	}
	now := v.cfg.Now()
	skew := v.cfg.AllowableClockSkew
	if hasIat && iat.After(now.Add(skew)) {
		return nil, invalidToken("The Issued At value (%s seconds) was after the indicated time (%d ms) plus allowable clock skew (%d ms)", secs(iat), now.UnixMilli(), skew.Milliseconds())
	}
	if !now.Add(-skew).Before(exp) {
		return nil, invalidToken("The indicated time (%d ms) minus allowable clock skew (%d ms) was on or after the Expiration Time value (%s seconds)", now.UnixMilli(), skew.Milliseconds(), secs(exp))
	}
	if hasIat && !exp.After(iat) {
		return nil, invalidToken("The Expiration Time time (%s seconds) was not after the Issued At time (%s seconds)", secs(exp), secs(iat))
	}
	have := map[string]bool{}
	for _, s := range scopes {
		have[s] = true
	}
	for _, req := range v.cfg.RequiredScopes {
		if !have[req] {
			return nil, &ValidationError{
				Status: "insufficient_scope",
				Scope:  "[" + strings.Join(v.cfg.RequiredScopes, ", ") + "]",
				Reason: fmt.Sprintf("The provided scope ([%s]) was missing a required scope (%s).  All required scope elements: [%s]",
					strings.Join(scopes, ", "), req, strings.Join(v.cfg.RequiredScopes, ", ")),
			}
		}
	}
	return &Token{Principal: principal, Expiry: exp, IssuedAt: iat, Scopes: scopes, Claims: claims}, nil
}

// unsecuredScope reads the scope as Kafka's unsecured JWS does: a string is
// one scope (trimmed, blank = none), a list keeps its non-blank trimmed
// entries, without duplicates.
func unsecuredScope(claims map[string]any, name string) ([]string, *ValidationError) {
	switch s := claims[name].(type) {
	case nil:
		return nil, nil
	case string:
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		return []string{strings.TrimSpace(s)}, nil
	case []any:
		var out []string
		seen := map[string]bool{}
		for _, e := range s {
			str := strings.TrimSpace(fmt.Sprint(e))
			if str != "" && !seen[str] {
				seen[str] = true
				out = append(out, str)
			}
		}
		return out, nil
	default:
		return nil, invalidToken("The '%s' claim was not of type List: %s", name, jsonType(s))
	}
}

// ParseRequiredScope splits a space-separated JAAS scope option.
func ParseRequiredScope(s string) []string { return strings.Fields(s) }

var _ Validator = (*UnsecuredValidator)(nil)

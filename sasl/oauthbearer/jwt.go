package oauthbearer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// DefaultAllowedAlgorithms are the JWS algorithms the secure validator
// accepts unless configured otherwise: asymmetric signatures only.
var DefaultAllowedAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

var knownAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"}

// JWTConfig configures the secure validator (Kafka's
// OAuthBearerValidatorCallbackHandler with its BrokerJwtValidator).
type JWTConfig struct {
	// Keys supplies the verification keys (required): a *JWKS, or
	// StaticKeys for an in-process issuer.
	Keys KeySource
	// ExpectedAudience is sasl.oauthbearer.expected.audience: the aud claim
	// must contain one of these. Empty: a token that has an aud claim is
	// rejected (jose4j's default, which Kafka keeps).
	ExpectedAudience []string
	// ExpectedIssuer is sasl.oauthbearer.expected.issuer: iss must equal it.
	// Empty: iss is not checked.
	ExpectedIssuer string
	// SubClaim is sasl.oauthbearer.sub.claim.name (default sub).
	SubClaim string
	// ScopeClaim is sasl.oauthbearer.scope.claim.name (default scope).
	ScopeClaim string
	// ClockSkew is sasl.oauthbearer.clock.skew.seconds for exp and nbf:
	// zero means Kafka's default of 30 s, negative means none.
	ClockSkew time.Duration
	// AllowedAlgorithms lists the accepted JWS algorithms (default
	// DefaultAllowedAlgorithms). "none" is never accepted; an HMAC
	// algorithm (HS256/384/512) is accepted only if listed, and then only
	// with a symmetric (oct) key of the JWKS, never with a public key.
	AllowedAlgorithms []string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// JWTValidator is the secure validator: a JWS signed by a key of the
// KeySource, with jose4j's claim checks as Kafka configures them (exp and
// iat required, nbf checked if present, expected audience and issuer),
// then Kafka's own checks of sub and scope.
type JWTValidator struct {
	cfg       JWTConfig
	allowed   map[string]bool
	verifiers map[string]jws.Verifier
}

// NewJWTValidator checks cfg and returns the validator.
func NewJWTValidator(cfg JWTConfig) (*JWTValidator, error) {
	if cfg.Keys == nil {
		return nil, errors.New("oauthbearer: JWTConfig.Keys is required")
	}
	if cfg.SubClaim = strings.TrimSpace(cfg.SubClaim); cfg.SubClaim == "" {
		cfg.SubClaim = "sub"
	}
	if cfg.ScopeClaim = strings.TrimSpace(cfg.ScopeClaim); cfg.ScopeClaim == "" {
		cfg.ScopeClaim = "scope"
	}
	switch {
	case cfg.ClockSkew == 0:
		cfg.ClockSkew = 30 * time.Second
	case cfg.ClockSkew < 0:
		cfg.ClockSkew = 0
	}
	if len(cfg.AllowedAlgorithms) == 0 {
		cfg.AllowedAlgorithms = DefaultAllowedAlgorithms
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &JWTValidator{cfg: cfg, allowed: map[string]bool{}, verifiers: map[string]jws.Verifier{}}
	for _, a := range cfg.AllowedAlgorithms {
		a = strings.TrimSpace(a)
		if strings.EqualFold(a, "none") {
			return nil, errors.New("oauthbearer: the algorithm \"none\" can never be allowed by the secure validator")
		}
		if !slices.Contains(knownAlgorithms, a) {
			return nil, fmt.Errorf("oauthbearer: unknown JWS algorithm %q (known: %s)", a, strings.Join(knownAlgorithms, ", "))
		}
		ver, err := jws.NewVerifier(jwa.SignatureAlgorithm(a))
		if err != nil {
			return nil, fmt.Errorf("oauthbearer: algorithm %s: %w", a, err)
		}
		v.allowed[a] = true
		v.verifiers[a] = ver
	}
	return v, nil
}

type jwsHeader struct {
	Alg  *string         `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
	B64  *bool           `json:"b64"`
}

// Validate implements Validator.
func (v *JWTValidator) Validate(ctx context.Context, token string) (*Token, error) {
	t, verr := v.validate(ctx, token)
	if verr != nil {
		return nil, verr
	}
	return t, nil
}

func (v *JWTValidator) validate(ctx context.Context, token string) (*Token, *ValidationError) {
	token = strings.TrimSpace(token)
	h64, p64, s64, verr := splitJWT(token)
	if verr != nil {
		return nil, verr
	}
	hb, err := base64.RawURLEncoding.DecodeString(h64)
	if err != nil {
		return nil, invalidToken("malformed Base64 URL encoded value in the JWS header")
	}
	var h jwsHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, invalidToken("malformed JSON in the JWS header")
	}
	if h.Alg == nil {
		return nil, invalidToken("the JWS header has no alg")
	}
	alg := *h.Alg
	if alg == "none" {
		return nil, invalidToken("JWS algorithm 'none' is not allowed: the token is unsigned")
	}
	if p64 == "" || s64 == "" {
		return nil, invalidToken("Malformed JWT provided; the payload or signature section is empty")
	}
	if !v.allowed[alg] {
		return nil, invalidToken("JWS algorithm '%s' is not allowed (allowed: %s)", clip(alg), strings.Join(v.cfg.AllowedAlgorithms, ", "))
	}
	if len(h.Crit) > 0 && string(h.Crit) != "null" {
		return nil, invalidToken("the JWS header has unrecognized critical (crit) parameters %s", clip(string(h.Crit)))
	}
	if h.B64 != nil && !*h.B64 {
		return nil, invalidToken("unencoded JWS payloads (b64=false) are not accepted")
	}
	sig, err := base64.RawURLEncoding.DecodeString(s64)
	if err != nil {
		return nil, invalidToken("malformed Base64 URL encoded value in the JWS signature")
	}
	signingInput := token[:len(h64)+1+len(p64)]
	if verr := v.verify(ctx, h.Kid, alg, []byte(signingInput), sig); verr != nil {
		return nil, verr
	}
	pb, err := base64.RawURLEncoding.DecodeString(p64)
	if err != nil {
		return nil, invalidToken("malformed Base64 URL encoded value in the JWT payload")
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil || claims == nil {
		return nil, invalidToken("the JWT payload is not a JSON object")
	}
	return v.checkClaims(claims)
}

// verify finds the key and checks the signature. An unknown kid asks the
// KeySource for a refresh and tries once more with the new keys.
func (v *JWTValidator) verify(ctx context.Context, kid, alg string, input, sig []byte) *ValidationError {
	ks := v.cfg.Keys.Keys()
	cands := ks.candidates(kid, alg)
	if len(cands) == 0 {
		refreshed, why := v.cfg.Keys.Missing(ctx, kid)
		if refreshed == nil {
			return invalidToken("Unable to find a suitable verification key for JWS with kid %q and alg %s in the JWKS of %s (keys: %s); no refresh: %s",
				clip(kid), alg, v.cfg.Keys.Describe(), strings.Join(ks.KeyIDs(), ", "), why)
		}
		ks = refreshed
		cands = ks.candidates(kid, alg)
		if len(cands) == 0 {
			return invalidToken("Unable to find a suitable verification key for JWS with kid %q and alg %s in the JWKS of %s, even after refreshing it (keys: %s)",
				clip(kid), alg, v.cfg.Keys.Describe(), strings.Join(ks.KeyIDs(), ", "))
		}
	}
	ver := v.verifiers[alg]
	for _, k := range cands {
		if ver.Verify(input, sig, k.raw) == nil {
			return nil
		}
	}
	return invalidToken("JWS signature is invalid (alg %s, kid %q, %d candidate key(s) of %s)", alg, clip(kid), len(cands), v.cfg.Keys.Describe())
}

// checkClaims applies jose4j's JwtConsumer checks as Kafka configures
// them, collecting every failure, then Kafka's sub/scope/exp/iat checks.
func (v *JWTValidator) checkClaims(claims map[string]any) (*Token, *ValidationError) {
	now := v.cfg.Now()
	skew := v.cfg.ClockSkew
	var issues []string
	add := func(format string, args ...any) { issues = append(issues, fmt.Sprintf(format, args...)) }

	// aud (jose4j AudValidator): without an expected audience any aud is
	// an error; with one, aud is required and must contain one of them.
	aud, audPresent, audErr := audience(claims)
	switch {
	case audErr != "":
		add("%s", audErr)
	case len(v.cfg.ExpectedAudience) == 0 && audPresent:
		add("Audience (aud) claim %s present in the JWT but no expected audience value(s) were provided to the JWT Consumer. Expected one of [] as an aud value.", javaList(aud))
	case len(v.cfg.ExpectedAudience) > 0 && !audPresent:
		add("No Audience (aud) claim present.")
	case len(v.cfg.ExpectedAudience) > 0 && !anyIn(aud, v.cfg.ExpectedAudience):
		add("Audience (aud) claim %s doesn't contain an acceptable identifier. Expected one of %s as an aud value.", javaList(aud), javaList(v.cfg.ExpectedAudience))
	}
	// iss (jose4j IssValidator).
	if v.cfg.ExpectedIssuer != "" {
		switch iss, ok := claims["iss"]; {
		case !ok || iss == nil:
			add("No Issuer (iss) claim present but was expecting %s", v.cfg.ExpectedIssuer)
		case iss != v.cfg.ExpectedIssuer:
			add("Issuer (iss) claim value (%v) doesn't match expected value of %s", iss, v.cfg.ExpectedIssuer)
		}
	}
	// exp, iat, nbf (jose4j NumericDateValidator).
	exp, hasExp, e1 := numericDate(claims, "exp")
	iat, hasIat, e2 := numericDate(claims, "iat")
	nbf, hasNbf, e3 := numericDate(claims, "nbf")
	for _, e := range []*ValidationError{e1, e2, e3} {
		if e != nil {
			add("%s", e.Reason)
		}
	}
	if e1 == nil && !hasExp {
		add("No Expiration Time (exp) claim present.")
	}
	if e2 == nil && !hasIat {
		add("No Issued At (iat) claim present.")
	}
	if hasExp && !now.Add(-skew).Before(exp) {
		add("The JWT is no longer valid - the evaluation time %s is on or after the Expiration Time (exp=%s) claim value (even when providing %d seconds of leeway to account for clock skew).",
			secs(now), secs(exp), int(skew.Seconds()))
	}
	if hasNbf && now.Add(skew).Before(nbf) {
		add("The JWT is not yet valid as the evaluation time %s is before the NotBefore (nbf=%s) claim time (even when providing %d seconds of leeway to account for clock skew).",
			secs(now), secs(nbf), int(skew.Seconds()))
	}
	if len(issues) > 0 {
		return nil, invalidToken("Could not validate the access token: JWT rejected due to invalid claims or other invalid content: %s", strings.Join(issues, " "))
	}
	// Kafka's own checks (OAuthBearerUtils / ClaimValidationUtils).
	rawScopes, verr := stringList(claims, v.cfg.ScopeClaim)
	if verr != nil {
		return nil, verr
	}
	scopes := make([]string, 0, len(rawScopes))
	for _, s := range rawScopes {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, invalidToken("%s value must be non-empty", v.cfg.ScopeClaim)
		}
		if slices.Contains(scopes, s) {
			return nil, invalidToken("%s value must not contain duplicates - %s already present", v.cfg.ScopeClaim, s)
		}
		scopes = append(scopes, s)
	}
	if exp.Unix() < 0 {
		return nil, invalidToken("exp value must be non-negative; value given was \"%s\"", secs(exp))
	}
	if hasIat && iat.Unix() < 0 {
		return nil, invalidToken("iat value must be non-negative; value given was \"%s\"", secs(iat))
	}
	subRaw, present := claims[v.cfg.SubClaim]
	sub, isString := subRaw.(string)
	if present && subRaw != nil && !isString {
		return nil, invalidToken("Could not extract the '%s' claim from the access token: it is a %s, not a String", v.cfg.SubClaim, jsonType(subRaw))
	}
	if !present || subRaw == nil {
		return nil, invalidToken("%s value must be non-null", v.cfg.SubClaim)
	}
	if sub = strings.TrimSpace(sub); sub == "" {
		return nil, invalidToken("%s value must not contain only whitespace", v.cfg.SubClaim)
	}
	return &Token{Principal: sub, Expiry: exp, IssuedAt: iat, Scopes: scopes, Claims: claims}, nil
}

// maxReasonValue bounds the header values a client chooses (kid, alg) as
// quoted in a rejection reason, which is logged for every attempt: a
// token may be as large as sasl.server.max.receive.size.
const maxReasonValue = 128

// clip shortens a client-chosen value for a rejection reason.
func clip(s string) string {
	if len(s) <= maxReasonValue {
		return s
	}
	return fmt.Sprintf("%s...(%d bytes)", s[:maxReasonValue], len(s))
}

// audience reads aud: a string or a list of strings.
func audience(claims map[string]any) ([]string, bool, string) {
	switch a := claims["aud"].(type) {
	case nil:
		return nil, false, ""
	case string:
		return []string{a}, true, ""
	case []any:
		out := make([]string, 0, len(a))
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, true, fmt.Sprintf("The value of the 'aud' claim is not the expected type (a list containing %s)", jsonType(e))
			}
			out = append(out, s)
		}
		return out, true, ""
	default:
		return nil, true, fmt.Sprintf("The value of the 'aud' claim is not the expected type (%s)", jsonType(a))
	}
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

func javaList(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

var _ Validator = (*JWTValidator)(nil)

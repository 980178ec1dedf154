package oauthbearer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Validator checks a bearer token (Kafka's OAuthBearerValidatorCallback
// handler). It returns the validated token, a *ValidationError when the
// token is rejected, or any other error when validation could not be
// performed (the client then sees Kafka's generic failure text).
// Implementations must be safe for concurrent use.
type Validator interface {
	Validate(ctx context.Context, token string) (*Token, error)
}

// ValidatorFunc adapts a function to Validator.
type ValidatorFunc func(ctx context.Context, token string) (*Token, error)

// Validate calls f.
func (f ValidatorFunc) Validate(ctx context.Context, token string) (*Token, error) {
	return f(ctx, token)
}

// Token is a validated bearer token.
type Token struct {
	// Principal is the principal name (the trimmed sub claim by default).
	Principal string
	// Expiry is the exp claim.
	Expiry time.Time
	// IssuedAt is the iat claim (zero when absent).
	IssuedAt time.Time
	// Scopes are the values of the scope claim.
	Scopes []string
	// Claims are all claims of the token, decoded from JSON.
	Claims map[string]any
}

// ValidationError rejects a token. Status, Scope and OpenIDConfiguration
// make up Kafka's RFC 7628 error challenge
// ({"status":"invalid_token"}); Reason says which check failed and is
// only logged, or sent in the one-round failure mode.
type ValidationError struct {
	Status              string // invalid_token or insufficient_scope
	Scope               string // optional
	OpenIDConfiguration string // optional
	Reason              string
}

// Error returns the status and the reason.
func (e *ValidationError) Error() string { return e.Status + ": " + e.Reason }

// JSON returns the server challenge Kafka sends for this error, byte for
// byte (note the space after each comma).
func (e *ValidationError) JSON() string {
	var sb strings.Builder
	sb.WriteString(`{"status":"`)
	sb.WriteString(e.Status)
	sb.WriteString(`"`)
	if e.Scope != "" {
		sb.WriteString(`, "scope":"`)
		sb.WriteString(e.Scope)
		sb.WriteString(`"`)
	}
	if e.OpenIDConfiguration != "" {
		sb.WriteString(`, "openid-configuration":"`)
		sb.WriteString(e.OpenIDConfiguration)
		sb.WriteString(`"`)
	}
	sb.WriteString(`}`)
	return sb.String()
}

func invalidToken(format string, args ...any) *ValidationError {
	return &ValidationError{Status: "invalid_token", Reason: fmt.Sprintf(format, args...)}
}

// splitJWT splits a compact serialization into its three sections.
func splitJWT(token string) (header, payload, sig string, err *ValidationError) {
	token = strings.TrimSpace(token)
	if token == "" {
		return "", "", "", invalidToken("Empty JWT provided; expected three sections (header, payload, and signature)")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", "", invalidToken("Malformed JWT provided; expected three sections (header, payload, and signature), but %d sections provided", len(parts))
	}
	return parts[0], parts[1], parts[2], nil
}

// decodeSection decodes a base64url JSON object. Standard base64 is also
// accepted, as Kafka's unsecured validator uses Java's basic decoder.
func decodeSection(s, name string) (map[string]any, *ValidationError) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil, invalidToken("malformed Base64 URL encoded value in the %s", name)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, invalidToken("malformed JSON in the %s", name)
	}
	return m, nil
}

// numericDate reads a NumericDate claim (seconds since the epoch, possibly
// fractional). ok=false when absent; an error when not a number.
func numericDate(claims map[string]any, name string) (time.Time, bool, *ValidationError) {
	v, ok := claims[name]
	if !ok || v == nil {
		return time.Time{}, false, nil
	}
	f, isNum := v.(float64)
	if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false, invalidToken("The value of the '%s' claim is not the expected type (%v - %s)", name, v, jsonType(v))
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "String"
	case float64:
		return "Number"
	case bool:
		return "Boolean"
	case []any:
		return "List"
	case map[string]any:
		return "Object"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// stringList reads a claim that is a string or a list of strings.
func stringList(claims map[string]any, name string) ([]string, *ValidationError) {
	switch v := claims[name].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, invalidToken("The %s claim must be a string or a list of strings, it contains %s", name, jsonType(e))
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, invalidToken("The %s claim must be a string or a list of strings, got %s", name, jsonType(v))
	}
}

func secs(t time.Time) string {
	if t.Nanosecond() == 0 {
		return fmt.Sprintf("%d", t.Unix())
	}
	return fmt.Sprintf("%.3f", float64(t.UnixNano())/1e9)
}

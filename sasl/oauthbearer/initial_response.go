package oauthbearer

import (
	"errors"
	"strings"
)

// ClientInitialResponse is a parsed RFC 7628 client initial response, as
// Kafka's OAuthBearerClientInitialResponse reads it.
type ClientInitialResponse struct {
	// AuthorizationID is the gs2 authzid ("a=..."), raw: Kafka compares it
	// to the token principal without decoding =2C and =3D. Empty if absent.
	AuthorizationID string
	// Token is the bearer token of the "auth" key.
	Token string
	// Extensions are the other key/value pairs (SASL extensions). Never nil.
	Extensions map[string]string
}

// ErrInvalidInitialResponse is the cause of every parse failure (Kafka:
// "Invalid OAUTHBEARER client first message"). Parse errors wrap it and are
// not *sasl.AuthError: the client sees Kafka's generic text.
//
//lint:ignore ST1005 Kafka's exact text
var ErrInvalidInitialResponse = errors.New("Invalid OAUTHBEARER client first message")

type parseError struct{ detail string }

func (e *parseError) Error() string {
	if e.detail == "" {
		return ErrInvalidInitialResponse.Error()
	}
	return ErrInvalidInitialResponse.Error() + ": " + e.detail
}

func (e *parseError) Unwrap() error { return ErrInvalidInitialResponse }

func invalid(detail string) error { return &parseError{detail: detail} }

const sep = '\x01'

// ParseClientInitialResponse parses msg exactly as Kafka's regular
// expression does (authentication.md §4.1):
//
//	n,(a=<saslname>)?,\x01(<key>=<value>\x01)*\x01
//	key = [A-Za-z]+   value = [\x21-\x7E \t\r\n]+
//	saslname = ([\x01-\x7F] except '=' and ',' | =2C | =3D)+
//
// The "auth" key is required and must be "<scheme> +<token>" where scheme
// is "bearer" case-insensitively and token matches
// [-_~+/.a-zA-Z0-9]+=* (RFC 6750 b64token). Every other key is an
// extension; a repeated key keeps its last value, as Kafka's map does.
func ParseClientInitialResponse(msg []byte) (*ClientInitialResponse, error) {
	s := string(msg)
	if !strings.HasPrefix(s, "n,") {
		return nil, invalid("")
	}
	s = s[2:]
	r := &ClientInitialResponse{Extensions: map[string]string{}}
	if !strings.HasPrefix(s, ",") {
		if !strings.HasPrefix(s, "a=") {
			return nil, invalid("")
		}
		end := strings.IndexByte(s, ',')
		if end < 0 || !validSaslName(s[2:end]) {
			return nil, invalid("")
		}
		r.AuthorizationID = s[2:end]
		s = s[end:]
	}
	// s starts with ",": then \x01, the pairs, and a final \x01.
	if len(s) < 3 || s[1] != sep || s[len(s)-1] != sep {
		return nil, invalid("")
	}
	pairs := s[2 : len(s)-1]
	auth, haveAuth := "", false
	for pairs != "" {
		end := strings.IndexByte(pairs, sep)
		if end < 0 {
			return nil, invalid("")
		}
		kv := pairs[:end]
		pairs = pairs[end+1:]
		eq := strings.IndexByte(kv, '=')
		if eq <= 0 || !validKey(kv[:eq]) || !validValue(kv[eq+1:]) {
			return nil, invalid("")
		}
		k, v := kv[:eq], kv[eq+1:]
		if k == "auth" {
			auth, haveAuth = v, true
			continue
		}
		r.Extensions[k] = v
	}
	if !haveAuth {
		return nil, invalid("'auth' not specified")
	}
	tok, err := parseAuthValue(auth)
	if err != nil {
		return nil, err
	}
	r.Token = tok
	return r, nil
}

// parseAuthValue checks "<scheme> +<token>" and returns the token.
func parseAuthValue(auth string) (string, error) {
	sp := strings.IndexByte(auth, ' ')
	if sp <= 0 {
		return "", invalid("invalid 'auth' format")
	}
	scheme := auth[:sp]
	for i := 0; i < len(scheme); i++ {
		if !isWord(scheme[i]) {
			return "", invalid("invalid 'auth' format")
		}
	}
	tok := strings.TrimLeft(auth[sp:], " ")
	if !validB64Token(tok) {
		return "", invalid("invalid 'auth' format")
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "", &parseError{detail: "invalid scheme " + scheme}
	}
	return tok, nil
}

func validSaslName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=':
			if i+2 >= len(s) || (s[i+1:i+3] != "2C" && s[i+1:i+3] != "3D") {
				return false
			}
			i += 2
		case c == 0 || c > 0x7F || c == ',':
			return false
		}
	}
	return true
}

func validKey(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return s != ""
}

func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 0x21 && c <= 0x7E || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			return false
		}
	}
	return s != ""
}

func isWord(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// validB64Token matches [-_~+/.a-zA-Z0-9]+=*.
func validB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(isWord(c) || c == '-' || c == '~' || c == '+' || c == '/' || c == '.') {
			return false
		}
	}
	return true
}

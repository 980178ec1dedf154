// Package oauthbearer is the server side of SASL/OAUTHBEARER (RFC 7628) as
// Apache Kafka implements it: the client initial response parser, the
// exchange with its {"status":"invalid_token"} challenge and 0x01 reply,
// and two validators behind the Validator interface: the secure JWT
// validator (a JWS checked against a JWKS, with jose4j's claim rules as
// Kafka configures them, plus an algorithm allow-list and a synchronous
// retry after refreshing the JWKS on an unknown kid), and Kafka's
// unsecured validator for alg "none" tokens.
//
// Optionally (Config.FailureReason) a rejected token fails in one round
// with a message that says why, followed by an ErrId that is also in the
// broker log, as Strimzi's kafka-oauth does.
package oauthbearer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/minikafka/minikafka/sasl"
)

// ExtensionsValidator checks the SASL extensions of a validated token and
// returns a reason for every invalid one (nil or empty: all valid). Kafka's
// stock handlers accept every extension, which is the default.
type ExtensionsValidator func(ext map[string]string, tok *Token) map[string]string

// Config configures the OAUTHBEARER mechanism.
type Config struct {
	// Validator checks tokens (required).
	Validator Validator
	// FailureReason makes a rejected token fail in the first round with
	// SASL_AUTHENTICATION_FAILED and the message
	// "Token validation failed: <reason> (ErrId: <hex>)" instead of
	// Kafka's invalid_token challenge, so that every client (franz-go
	// included) shows why. Off by default (Kafka-exact).
	FailureReason bool
	// ValidateExtensions optionally rejects extensions.
	ValidateExtensions ExtensionsValidator
	// Logger receives one WARN line per rejected token, with the reason
	// (default: discard).
	Logger *slog.Logger
}

// Mechanism is the server-side OAUTHBEARER mechanism.
type Mechanism struct{ cfg Config }

// New checks cfg and returns the mechanism.
func New(cfg Config) (*Mechanism, error) {
	if cfg.Validator == nil {
		return nil, errors.New("oauthbearer: Config.Validator is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Mechanism{cfg: cfg}, nil
}

// Name implements sasl.Mechanism.
func (m *Mechanism) Name() string { return sasl.OAuthBearer }

// NewSession implements sasl.Mechanism.
func (m *Mechanism) NewSession(ci sasl.ConnInfo) sasl.Session {
	return &session{m: m, ci: ci}
}

type session struct {
	m        *Mechanism
	ci       sasl.ConnInfo
	errorMsg string // the JSON challenge sent, awaiting the client's 0x01
	id       sasl.Identity
}

// Step implements sasl.Session with OAuthBearerSaslServer's rules: a
// single 0x01 after an error challenge fails with that JSON as message;
// anything else is parsed as a (new) client initial response.
func (s *session) Step(ctx context.Context, token []byte) ([]byte, bool, error) {
	if len(token) == 1 && token[0] == 0x01 && s.errorMsg != "" {
		return nil, false, &sasl.AuthError{Message: s.errorMsg, Reason: "client acknowledged the error challenge"}
	}
	s.errorMsg = ""
	cir, err := ParseClientInitialResponse(token)
	if err != nil {
		s.m.cfg.Logger.Warn("OAUTHBEARER: invalid client initial response", s.attrs("reason", err.Error())...)
		return nil, false, err
	}
	tok, err := s.m.cfg.Validator.Validate(ctx, cir.Token)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			s.m.cfg.Logger.Warn("OAUTHBEARER: token validation could not be performed", s.attrs("err", err.Error())...)
			return nil, false, fmt.Errorf("authentication could not be performed due to an internal error on the server: %w", err)
		}
		return s.rejected(ve)
	}
	if cir.AuthorizationID != "" && cir.AuthorizationID != tok.Principal {
		msg := fmt.Sprintf("Authentication failed: Client requested an authorization id (%s) that is different from the token's principal name (%s)", cir.AuthorizationID, tok.Principal)
		s.m.cfg.Logger.Warn("OAUTHBEARER: authorization id mismatch", s.attrs("reason", msg)...)
		return nil, false, &sasl.AuthError{Message: msg}
	}
	if f := s.m.cfg.ValidateExtensions; f != nil && len(cir.Extensions) > 0 {
		if bad := f(cir.Extensions, tok); len(bad) > 0 {
			names := make([]string, 0, len(bad))
			for k := range bad {
				names = append(names, k)
			}
			sort.Strings(names)
			parts := make([]string, 0, len(names))
			for _, k := range names {
				parts = append(parts, k+": "+bad[k])
			}
			msg := fmt.Sprintf("Authentication failed: %d extensions are invalid! They are: %s", len(bad), strings.Join(parts, "; "))
			s.m.cfg.Logger.Warn("OAUTHBEARER: invalid extensions", s.attrs("reason", msg)...)
			return nil, false, &sasl.AuthError{Message: msg}
		}
	}
	s.id = sasl.Identity{AuthorizationID: tok.Principal, Expiry: tok.Expiry, Claims: tok.Claims, Extensions: cir.Extensions}
	return []byte{}, true, nil
}

// Rejected implements sasl.Rejecting: an error challenge was sent and
// the client has not answered it.
func (s *session) Rejected() bool { return s.errorMsg != "" }

// rejected answers a token the validator refused: Kafka's JSON challenge,
// or in FailureReason mode an immediate failure carrying the reason.
func (s *session) rejected(ve *ValidationError) ([]byte, bool, error) {
	if s.m.cfg.FailureReason {
		id := errID()
		s.m.cfg.Logger.Warn("OAUTHBEARER: token validation failed", s.attrs("status", ve.Status, "reason", ve.Reason, "errid", id)...)
		return nil, false, &sasl.AuthError{Message: fmt.Sprintf("Token validation failed: %s (ErrId: %s)", ve.Reason, id), Reason: ve.Status}
	}
	s.m.cfg.Logger.Warn("OAUTHBEARER: token validation failed", s.attrs("status", ve.Status, "reason", ve.Reason)...)
	s.errorMsg = ve.JSON()
	return []byte(s.errorMsg), false, nil
}

func (s *session) attrs(kv ...any) []any {
	out := make([]any, 0, len(kv)+4)
	out = append(out, "listener", s.ci.Listener)
	if s.ci.RemoteAddr != nil {
		out = append(out, "client", s.ci.RemoteAddr.String())
	}
	return append(out, kv...)
}

// Identity implements sasl.Session.
func (s *session) Identity() sasl.Identity { return s.id }

func errID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

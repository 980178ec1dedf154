// Package sasl holds the server-side interfaces every SASL mechanism of
// minikafka implements (one subpackage per mechanism: plain, scram,
// oauthbearer) and the error type that turns into Kafka's
// SASL_AUTHENTICATION_FAILED (58) with a message.
//
// The broker drives a Session: it feeds each client token to Step and sends
// back the challenge, until Step reports done or fails. It imports nothing
// else of minikafka.
package sasl

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Mechanism names as Kafka spells them.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
	OAuthBearer = "OAUTHBEARER"
)

// ConnInfo is the narrow, read-only view of a connection a mechanism sees.
type ConnInfo struct {
	Listener   string
	RemoteAddr net.Addr
}

// Mechanism is a server-side SASL mechanism. NewSession is called once per
// authentication (and once per KIP-368 re-authentication).
type Mechanism interface {
	Name() string
	NewSession(ConnInfo) Session
}

// Session is one server-side authentication exchange.
type Session interface {
	// Step consumes one client token and returns the server's reply. done
	// reports that authentication succeeded; Identity is then valid. An
	// error fails the authentication: an *AuthError's Message is sent to the
	// client verbatim with error code 58; any other error is logged and the
	// client receives Kafka's generic text (see GenericMessage).
	Step(ctx context.Context, token []byte) (challenge []byte, done bool, err error)
	// Identity is the authenticated identity once Step reported done.
	Identity() Identity
}

// Rejecting is implemented by sessions that can reject a client without
// an error from Step: OAUTHBEARER answers an invalid token with an error
// challenge (RFC 7628) and fails only once the client acknowledges it.
// Rejected reports that such a rejection is pending, so that the broker
// counts a client that disconnects instead as a failed authentication
// with invalid credentials.
type Rejecting interface {
	Rejected() bool
}

// Identity is what a successful exchange established.
type Identity struct {
	// AuthorizationID is the SASL authorization id: the user name for PLAIN
	// and SCRAM, the token principal for OAUTHBEARER.
	AuthorizationID string
	// Expiry is when the credential stops being valid (a token's exp); zero
	// when the credential does not expire.
	Expiry time.Time
	// Claims are the validated token claims (OAUTHBEARER), nil otherwise.
	Claims map[string]any
	// Extensions are the SASL extensions the client sent (OAUTHBEARER).
	Extensions map[string]string
}

// AuthError is a failure whose Message the client may see, as Kafka's
// SaslAuthenticationException. Reason is for the log only (it may say more,
// e.g. which check of a token failed).
type AuthError struct {
	Message string
	Reason  string
}

func (e *AuthError) Error() string {
	if e.Reason != "" && e.Reason != e.Message {
		return e.Message + ": " + e.Reason
	}
	return e.Message
}

// Failf builds an *AuthError whose message is sent to the client.
func Failf(format string, args ...any) error {
	return &AuthError{Message: fmt.Sprintf(format, args...)}
}

// ClientMessage returns what the client is told when err fails an
// authentication with mechanism mech: an AuthError's message verbatim,
// otherwise Kafka's generic text, which deliberately reveals nothing.
func ClientMessage(err error, mech string, reauth bool) string {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return GenericMessage(mech, reauth)
}

// GenericMessage is Kafka's text for a failure that is not an AuthError.
func GenericMessage(mech string, reauth bool) string {
	phase := "authentication"
	if reauth {
		phase = "re-authentication"
	}
	return fmt.Sprintf("Authentication failed during %s due to invalid credentials with SASL mechanism %s", phase, mech)
}

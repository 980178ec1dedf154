// Package plain is the server side of SASL/PLAIN (RFC 4616) as Kafka's
// PlainSaslServer implements it: one round, the message
// `[authzid] NUL authcid NUL passwd` split on NUL into exactly three
// tokens, Kafka's error messages sent to the client verbatim, and the
// password checked in constant time.
//
// Passwords come from a map (what Kafka's default callback handler reads
// from the `user_<name>="<password>"` options of PlainLoginModule) or from
// a Check function (Kafka's sasl.server.callback.handler.class).
package plain

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/minikafka/minikafka/sasl"
)

// Kafka's PlainSaslServer messages, all sent to the client verbatim.
const (
	MsgUsernameNotSpecified = "Authentication failed: username not specified"
	MsgPasswordNotSpecified = "Authentication failed: password not specified"
	MsgNotVerified          = "Authentication failed: credentials for user could not be verified"
	MsgInvalidCredentials   = "Authentication failed: Invalid username or password"
	MsgAuthzidMismatch      = "Authentication failed: Client requested an authorization id that is different from username"
)

// CheckFunc verifies a user's password. ok=false rejects the credentials;
// an error means they could not be verified (a directory was down, ...):
// the client is told "credentials for user could not be verified" and the
// error is logged by the broker.
type CheckFunc func(ctx context.Context, user, password string) (ok bool, err error)

// Mechanism is the server-side PLAIN mechanism.
type Mechanism struct {
	check CheckFunc
}

// New returns a PLAIN mechanism checking passwords against users
// (name → password), as Kafka's PlainServerCallbackHandler does with the
// JAAS user_<name> options. The map is copied.
func New(users map[string]string) *Mechanism {
	digests := make(map[string][32]byte, len(users))
	for u, p := range users {
		digests[u] = sha256.Sum256([]byte(p))
	}
	return NewWithCheck(func(_ context.Context, user, password string) (bool, error) {
		want, ok := digests[user]
		got := sha256.Sum256([]byte(password))
		// Compare fixed-size digests so that the time taken does not
		// depend on the password's length or on where it differs; an
		// unknown user costs the same as a wrong password.
		return subtle.ConstantTimeCompare(want[:], got[:]) == 1 && ok, nil
	})
}

// NewWithCheck returns a PLAIN mechanism that verifies passwords with
// check.
func NewWithCheck(check CheckFunc) *Mechanism { return &Mechanism{check: check} }

// Name returns "PLAIN".
func (m *Mechanism) Name() string { return sasl.Plain }

// NewSession starts one PLAIN exchange.
func (m *Mechanism) NewSession(sasl.ConnInfo) sasl.Session { return &session{check: m.check} }

type session struct {
	check CheckFunc
	user  string
	done  bool
}

// Step evaluates the client's only message. Every failure is an
// *sasl.AuthError carrying Kafka's message; a failing check also carries
// its error as the Reason for the log.
func (s *session) Step(ctx context.Context, token []byte) ([]byte, bool, error) {
	if s.done {
		return nil, false, fmt.Errorf("PLAIN: unexpected message after authentication completed")
	}
	authzid, user, password, err := Parse(token)
	if err != nil {
		return nil, false, err
	}
	if user == "" {
		return nil, false, &sasl.AuthError{Message: MsgUsernameNotSpecified}
	}
	if password == "" {
		return nil, false, &sasl.AuthError{Message: MsgPasswordNotSpecified}
	}
	ok, err := s.check(ctx, user, password)
	if err != nil {
		return nil, false, &sasl.AuthError{Message: MsgNotVerified, Reason: fmt.Sprintf("user %q: %v", user, err)}
	}
	if !ok {
		return nil, false, &sasl.AuthError{Message: MsgInvalidCredentials, Reason: fmt.Sprintf("user %q", user)}
	}
	if authzid != "" && authzid != user {
		return nil, false, &sasl.AuthError{Message: MsgAuthzidMismatch, Reason: fmt.Sprintf("user %q asked for authorization id %q", user, authzid)}
	}
	s.user, s.done = user, true
	return []byte{}, true, nil
}

// Identity is the authenticated user (the authcid).
func (s *session) Identity() sasl.Identity { return sasl.Identity{AuthorizationID: s.user} }

// Parse splits a PLAIN message into authzid, authcid and password as
// Kafka does: the bytes are decoded as UTF-8 (invalid sequences become
// U+FFFD), split on NUL at most four times, and anything but exactly three
// tokens is "Invalid SASL/PLAIN response: expected 3 tokens, got N".
func Parse(msg []byte) (authzid, user, password string, err error) {
	s := strings.ToValidUTF8(string(msg), "\uFFFD")
	var tokens [4]string
	n := 0
	for n < 4 {
		i := strings.IndexByte(s, 0)
		if i < 0 {
			tokens[n] = s
			n++
			break
		}
		tokens[n] = s[:i]
		n++
		s = s[i+1:]
	}
	if n != 3 {
		return "", "", "", &sasl.AuthError{Message: fmt.Sprintf("Invalid SASL/PLAIN response: expected 3 tokens, got %d", n)}
	}
	return tokens[0], tokens[1], tokens[2], nil
}

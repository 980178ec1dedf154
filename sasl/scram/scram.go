// Package scram is the server side of SASL/SCRAM-SHA-256 and
// SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer behaves:
//
//   - client-first is checked against Kafka's grammar (gs2 flag "n" only,
//     saslname escapes =2C and =3D, extension keys [A-Za-z]+);
//   - an unknown user fails at client-first; a credential with fewer than
//     4096 iterations fails there too; both are plain errors, so the client
//     only sees Kafka's generic text;
//   - an authorization id different from the user name is an
//     *sasl.AuthError, sent to the client verbatim;
//   - the server nonce is a base-36 string of 130 random bits, as Kafka's;
//   - the server never sends "e=": every failure is a Kafka error;
//   - the client-final nonce must end with the server nonce (Kafka 3.8.1+,
//     CVE-2024-56128) rather than equal it, because librdkafka before 2.7
//     (Debian's kcat) sends the client nonce twice; the AuthMessage is
//     rebuilt from the parsed messages as Kafka does.
//
// The exchange is implemented here on the standard library's HMAC and
// PBKDF2 rather than on github.com/xdg-go/scram's server, whose strict RFC
// checks (exact nonce, raw AuthMessage) reject clients Kafka accepts; the
// tests use xdg-go/scram as an independent client.
//
// Credentials come from a LookupFunc; this package imports nothing of
// minikafka but package sasl.
package scram

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"regexp"
	"strings"

	"github.com/minikafka/minikafka/sasl"
)

// Kafka's iteration bounds (ScramMechanism: the same for both hashes).
const (
	MinIterations = 4096
	MaxIterations = 16384
)

// MsgAuthzidMismatch is sent verbatim when the client asks for an
// authorization id other than its user name.
const MsgAuthzidMismatch = "Authentication failed: Client requested an authorization id that is different from username"

// Credential is what the server stores for one user and mechanism
// (Kafka's ScramCredential): never the password.
type Credential struct {
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int
}

// LookupFunc returns the credential of user for mechanism; ok=false when
// the user has none. An error means the store could not be read.
type LookupFunc func(ctx context.Context, user, mechanism string) (cred Credential, ok bool, err error)

// Mechanism is a server-side SCRAM mechanism for one hash.
type Mechanism struct {
	name   string
	hash   func() hash.Hash
	lookup LookupFunc
	nonce  func() string
}

// New returns the server mechanism named SCRAM-SHA-256 or SCRAM-SHA-512,
// reading credentials through lookup.
func New(mechanism string, lookup LookupFunc) (*Mechanism, error) {
	h, _, err := newHash(mechanism)
	if err != nil {
		return nil, err
	}
	if lookup == nil {
		return nil, errors.New("scram: nil credential lookup")
	}
	return &Mechanism{name: mechanism, hash: h, lookup: lookup, nonce: Nonce}, nil
}

// Name returns the mechanism name.
func (m *Mechanism) Name() string { return m.name }

// NewSession starts one SCRAM exchange.
func (m *Mechanism) NewSession(sasl.ConnInfo) sasl.Session { return &session{m: m} }

type session struct {
	m           *Mechanism
	state       int // 0: expect client-first, 1: expect client-final, 2: over
	user        string
	cred        Credential
	first       clientFirstMsg
	serverFirst string
	nonce       string // the full nonce of server-first
}

// Step runs one round of the exchange.
func (s *session) Step(ctx context.Context, token []byte) ([]byte, bool, error) {
	switch s.state {
	case 0:
		s.state = 2 // any failure ends the exchange
		out, err := s.clientFirst(ctx, string(token))
		if err != nil {
			return nil, false, err
		}
		s.state = 1
		return out, false, nil
	case 1:
		s.state = 2
		out, err := s.clientFinal(string(token))
		s.cred = Credential{} // clearCredentials
		if err != nil {
			return nil, false, err
		}
		return out, true, nil
	}
	return nil, false, &Error{Msg: "Unexpected challenge in Sasl server state COMPLETE"}
}

func (s *session) clientFirst(ctx context.Context, msg string) ([]byte, error) {
	c1, err := parseClientFirst(msg)
	if err != nil {
		return nil, err
	}
	user := Username(c1.saslName)
	if strings.EqualFold(c1.extensions["tokenauth"], "true") {
		// Delegation tokens are not supported: no token id is valid.
		return nil, &Error{Msg: "Token Authentication failed: Invalid tokenId : " + user}
	}
	cred, ok, err := s.m.lookup(ctx, user, s.m.name)
	if err != nil {
		return nil, &Error{Msg: "Authentication failed: Credentials could not be obtained", Err: err}
	}
	if !ok {
		return nil, &Error{Msg: "Authentication failed: Invalid user credentials", Detail: fmt.Sprintf("user %q has no %s credential", user, s.m.name)}
	}
	// Kafka compares the authzid as written (still escaped) with the
	// decoded user name.
	if c1.authzid != "" && c1.authzid != user {
		return nil, &sasl.AuthError{Message: MsgAuthzidMismatch, Reason: fmt.Sprintf("user %q asked for authorization id %q", user, c1.authzid)}
	}
	if cred.Iterations < MinIterations {
		return nil, &Error{Msg: fmt.Sprintf("Iterations %d is less than the minimum %d for %s", cred.Iterations, MinIterations, enumName(s.m.name))}
	}
	s.user, s.cred, s.first = user, cred, c1
	s.nonce = c1.nonce + s.m.nonce()
	s.serverFirst = fmt.Sprintf("r=%s,s=%s,i=%d", s.nonce, base64.StdEncoding.EncodeToString(cred.Salt), cred.Iterations)
	return []byte(s.serverFirst), nil
}

// clientFinal checks the nonce and the proof as Kafka does: the nonce must
// end with the server-first nonce (Kafka ≥ 3.8.1 accepts librdkafka ≤ 2.6,
// which sends the client nonce twice), and the AuthMessage is rebuilt from
// the parsed messages (client-first-bare without the reserved m= field,
// client-final without its extensions).
func (s *session) clientFinal(msg string) ([]byte, error) {
	c2, err := parseClientFinal(msg)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(c2.nonce, s.nonce) {
		return nil, &Error{Msg: "Invalid client nonce in the final client message."}
	}
	h := s.m.hash
	bare := "n=" + s.first.saslName + ",r=" + s.first.nonce
	if s.first.rawExtensions != "" {
		bare += s.first.rawExtensions
	}
	authMsg := bare + "," + s.serverFirst + ",c=" + base64.StdEncoding.EncodeToString(c2.channel) + ",r=" + c2.nonce
	clientSig := hmacOf(h, s.cred.StoredKey, authMsg)
	if len(c2.proof) != len(clientSig) {
		return nil, &Error{Msg: "Invalid client credentials", Detail: fmt.Sprintf("proof of %d bytes, want %d", len(c2.proof), len(clientSig))}
	}
	clientKey := make([]byte, len(clientSig))
	for i := range clientSig {
		clientKey[i] = clientSig[i] ^ c2.proof[i]
	}
	d := h()
	d.Write(clientKey)
	if !hmac.Equal(d.Sum(nil), s.cred.StoredKey) {
		return nil, &Error{Msg: "Invalid client credentials"}
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(hmacOf(h, s.cred.ServerKey, authMsg))), nil
}

func hmacOf(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// Identity is the authenticated user.
func (s *session) Identity() sasl.Identity {
	return sasl.Identity{AuthorizationID: s.user}
}

// Error is a failed exchange with Kafka's message (ScramSaslServer's
// SaslException text). It is not an *sasl.AuthError: the client is only
// told Kafka's generic text, the broker logs Error().
type Error struct {
	Msg    string // Kafka's message
	Detail string // what minikafka adds for the log (e.g. which user)
	Err    error  // the underlying failure, if any
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying failure.
func (e *Error) Unwrap() error { return e.Err }

// Username decodes a saslname as Kafka's ScramFormatter.username does:
// "=2C" becomes "," and then "=3D" becomes "=".
func Username(saslName string) string {
	return strings.ReplaceAll(strings.ReplaceAll(saslName, "=2C", ","), "=3D", "=")
}

// SaslName encodes a user name for a client-first message.
func SaslName(user string) string {
	return strings.ReplaceAll(strings.ReplaceAll(user, "=", "=3D"), ",", "=2C")
}

// Kafka's grammar (ScramMessages), translated from Java character-class
// intersections to RE2 ranges.
const (
	reValue    = `[\x01-\x2b\x2d-\x7f]+`                      // [\x01-\x7F&&[^,]]
	rePrint    = `[\x21-\x2b\x2d-\x7e]+`                      // [\x21-\x7E&&[^,]]
	reSaslName = `(?:[\x01-\x2b\x2d-\x3c\x3e-\x7f]|=2C|=3D)+` // [\x01-\x7F&&[^=,]] or an escape
	reBase64   = `(?:[a-zA-Z0-9/+]{4})*(?:[a-zA-Z0-9/+]{3}=|[a-zA-Z0-9/+]{2}==)?`
	reExts     = `(?:,[A-Za-z]+=` + reValue + `)*`
)

var (
	clientFirstRE = regexp.MustCompile(`^n,(?:a=(` + reSaslName + `))?,(?:m=` + reValue + `,)?n=(` + reSaslName + `),r=(` + rePrint + `)(` + reExts + `)$`)
	clientFinalRE = regexp.MustCompile(`^c=(` + reBase64 + `),r=(` + rePrint + `)` + reExts + `,p=(` + reBase64 + `)$`)
)

type clientFirstMsg struct {
	authzid       string
	saslName      string
	nonce         string
	rawExtensions string // ",k=v,..." as sent
	extensions    map[string]string
}

func parseClientFirst(msg string) (clientFirstMsg, error) {
	m := clientFirstRE.FindStringSubmatch(msg)
	if m == nil {
		return clientFirstMsg{}, &Error{Msg: "Invalid SCRAM client first message format: " + msg}
	}
	c := clientFirstMsg{authzid: m[1], saslName: m[2], nonce: m[3], rawExtensions: m[4], extensions: map[string]string{}}
	if ext := strings.TrimPrefix(m[4], ","); ext != "" {
		for _, kv := range strings.Split(ext, ",") {
			k, v, _ := strings.Cut(kv, "=")
			c.extensions[k] = v
		}
	}
	return c, nil
}

type clientFinalMsg struct {
	channel []byte
	nonce   string
	proof   []byte
}

func parseClientFinal(msg string) (clientFinalMsg, error) {
	m := clientFinalRE.FindStringSubmatch(msg)
	if m == nil {
		return clientFinalMsg{}, &Error{Msg: "Invalid SCRAM client final message format: " + msg}
	}
	channel, err1 := base64.StdEncoding.DecodeString(m[1])
	proof, err2 := base64.StdEncoding.DecodeString(m[3])
	if err1 != nil || err2 != nil {
		return clientFinalMsg{}, &Error{Msg: "Invalid SCRAM client final message format: " + msg}
	}
	return clientFinalMsg{channel: channel, nonce: m[2], proof: proof}, nil
}

// enumName is Kafka's enum spelling used in some messages (SCRAM_SHA_256).
func enumName(mech string) string { return strings.ReplaceAll(mech, "-", "_") }

func newHash(mechanism string) (func() hash.Hash, int, error) {
	switch mechanism {
	case sasl.ScramSHA256:
		return sha256.New, sha256.Size, nil
	case sasl.ScramSHA512:
		return sha512.New, sha512.Size, nil
	}
	return nil, 0, fmt.Errorf("scram: unknown mechanism %q (want SCRAM-SHA-256 or SCRAM-SHA-512)", mechanism)
}

// KeySize returns the length of the stored and server keys of mechanism
// (0 for an unknown mechanism).
func KeySize(mechanism string) int {
	_, n, _ := newHash(mechanism)
	return n
}

// SaltedPassword computes Hi(password, salt, iterations) (PBKDF2-HMAC).
// The password is used as its UTF-8 bytes, without SASLprep, as Kafka does.
func SaltedPassword(mechanism, password string, salt []byte, iterations int) ([]byte, error) {
	h, size, err := newHash(mechanism)
	if err != nil {
		return nil, err
	}
	if iterations <= 0 {
		return nil, fmt.Errorf("scram: iterations must be positive, got %d", iterations)
	}
	return pbkdf2.Key(h, password, salt, iterations, size)
}

// NewCredential derives the stored credential of password.
func NewCredential(mechanism, password string, salt []byte, iterations int) (Credential, error) {
	sp, err := SaltedPassword(mechanism, password, salt, iterations)
	if err != nil {
		return Credential{}, err
	}
	return CredentialFromSaltedPassword(mechanism, salt, sp, iterations)
}

// CredentialFromSaltedPassword derives StoredKey and ServerKey from a
// salted password, as Kafka's controller does for AlterUserScramCredentials
// (KIP-554: the client sends salt and SaltedPassword).
func CredentialFromSaltedPassword(mechanism string, salt, saltedPassword []byte, iterations int) (Credential, error) {
	h, _, err := newHash(mechanism)
	if err != nil {
		return Credential{}, err
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac(saltedPassword, "Client Key")
	d := h()
	d.Write(clientKey)
	return Credential{
		Salt:       append([]byte(nil), salt...),
		StoredKey:  d.Sum(nil),
		ServerKey:  mac(saltedPassword, "Server Key"),
		Iterations: iterations,
	}, nil
}

// Matches reports whether password produces cred (same salt and
// iterations), comparing in constant time.
func Matches(mechanism, password string, cred Credential) bool {
	c, err := NewCredential(mechanism, password, cred.Salt, cred.Iterations)
	if err != nil {
		return false
	}
	return hmac.Equal(c.StoredKey, cred.StoredKey) && hmac.Equal(c.ServerKey, cred.ServerKey)
}

// Nonce returns a new server nonce as Kafka makes it: 130 random bits
// written in base 36.
func Nonce() string {
	var b [17]byte
	_, _ = rand.Read(b[:])
	b[0] &= 0x03 // 2 + 16*8 = 130 bits
	return new(big.Int).SetBytes(b[:]).Text(36)
}

// NewSalt returns a random salt as Kafka generates one: the UTF-8 bytes of
// a Nonce.
func NewSalt() []byte { return []byte(Nonce()) }

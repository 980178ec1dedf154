// Package principal defines who a connection is: the Principal
// (`User:alice`, `Group:ops`), the authenticated Subject with its groups,
// the pluggable Builder (Kafka's KafkaPrincipalBuilder) and GroupResolver,
// and the decorators that compose resolvers (Chain, Cached).
//
// DefaultBuilder is Kafka's DefaultKafkaPrincipalBuilder: JavaDN formats a
// client certificate's subject as Java's X500Principal.getName() and
// MappingRules applies ssl.principal.mapping.rules to it. The resolvers
// live in subpackages: jwtclaims (token claims), ldap (a directory),
// static (a file) and osgroups (the host's accounts). The package and its
// subpackages import nothing else of minikafka.
package principal

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Principal types used by minikafka.
const (
	UserType  = "User"
	GroupType = "Group"
)

// Anonymous is Kafka's principal for unauthenticated connections.
var Anonymous = Principal{Type: UserType, Name: "ANONYMOUS"}

// Principal is a Kafka principal: a type and a name, compared exactly.
type Principal struct {
	Type string
	Name string
}

// User returns User:name.
func User(name string) Principal { return Principal{Type: UserType, Name: name} }

// Group returns Group:name.
func Group(name string) Principal { return Principal{Type: GroupType, Name: name} }

// String returns "Type:name".
func (p Principal) String() string { return p.Type + ":" + p.Name }

// Parse splits "Type:name" at the first colon, as Kafka does. A string with
// no colon is an error.
func Parse(s string) (Principal, error) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return Principal{}, fmt.Errorf("expected a string in format principalType:principalName but got %s", s)
	}
	return Principal{Type: s[:i], Name: s[i+1:]}, nil
}

// AuthContext is what a Builder is given to decide who a connection is.
type AuthContext struct {
	Listener         string
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
	Mechanism        string // SASL mechanism, empty without SASL
	AuthorizationID  string // SASL authorization id
	Claims           map[string]any
	PeerCertificates []*x509.Certificate
	ClientAddr       netip.Addr
	// CredentialExpiry is when the credential expires (zero: never).
	CredentialExpiry time.Time
}

// Subject is an authenticated identity: the user principal, the groups it
// belongs to, when it expires and what it came from.
type Subject struct {
	User   Principal
	Groups []Principal
	// Expiry is the credential expiry (zero: none).
	Expiry time.Time
	// Context is the authentication context the subject was built from.
	Context *AuthContext
	// GroupsDegraded is set when group resolution failed and the subject
	// carries the user principal only (the lenient failure policy).
	GroupsDegraded bool
}

// AnonymousSubject is the subject of a PLAINTEXT connection.
func AnonymousSubject(ac *AuthContext) *Subject {
	return &Subject{User: Anonymous, Context: ac}
}

// Builder turns an authentication context into a subject, like Kafka's
// KafkaPrincipalBuilder. An error fails the authentication; the broker
// sends the error's text to SASL clients when it is a *BuildError.
type Builder interface {
	Build(ctx context.Context, ac *AuthContext) (*Subject, error)
}

// BuilderFunc adapts a function to Builder.
type BuilderFunc func(ctx context.Context, ac *AuthContext) (*Subject, error)

// Build calls f.
func (f BuilderFunc) Build(ctx context.Context, ac *AuthContext) (*Subject, error) { return f(ctx, ac) }

// GroupResolver returns the group names of a user. An error means the
// groups could not be determined (directory down, timeout); an unknown user
// is not an error, it has no groups.
type GroupResolver interface {
	Groups(ctx context.Context, user Principal, ac *AuthContext) ([]string, error)
}

// GroupResolverFunc adapts a function to GroupResolver.
type GroupResolverFunc func(ctx context.Context, user Principal, ac *AuthContext) ([]string, error)

// Groups calls f.
func (f GroupResolverFunc) Groups(ctx context.Context, user Principal, ac *AuthContext) ([]string, error) {
	return f(ctx, user, ac)
}

// BuildError is a builder failure whose Message may be shown to the
// client (SASL clients receive it with SASL_AUTHENTICATION_FAILED). Err is
// the cause, for the log only.
type BuildError struct {
	Message string
	Err     error
}

func (e *BuildError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *BuildError) Unwrap() error { return e.Err }

package principal

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// DefaultBuilderClass is the principal.builder.class value minikafka
// accepts: Kafka's default builder, which DefaultBuilder reproduces. Any
// other class is a configuration error; a custom Builder is set from Go.
const DefaultBuilderClass = "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder"

// FailurePolicy says what a failed group lookup does to an authentication.
type FailurePolicy int

const (
	// Lenient (the default) authenticates anyway: the subject carries the
	// user principal only and GroupsDegraded is set. One warning is logged
	// and minikafka_group_resolution_failures_total counts it.
	Lenient FailurePolicy = iota
	// Strict fails the authentication with a *BuildError.
	Strict
)

// String returns "lenient" or "strict".
func (p FailurePolicy) String() string {
	if p == Strict {
		return "strict"
	}
	return "lenient"
}

// ParseFailurePolicy parses "lenient" or "strict" (any case).
func ParseFailurePolicy(s string) (FailurePolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "lenient", "":
		return Lenient, nil
	case "strict":
		return Strict, nil
	}
	return Lenient, fmt.Errorf("unknown group failure policy %q (want lenient or strict)", s)
}

// RulesByListener holds mapping rules per listener name, with a default for
// listeners that have none (Kafka's listener.name.<l>. prefix).
type RulesByListener struct {
	// Default applies to listeners without their own rules; nil is
	// DEFAULT (names unchanged).
	Default *MappingRules
	// Listeners overrides Default by listener name.
	Listeners map[string]*MappingRules
}

// For returns the rules of a listener.
func (r RulesByListener) For(listener string) *MappingRules {
	if mr, ok := r.Listeners[listener]; ok {
		return mr
	}
	return r.Default
}

// DefaultBuilder is Kafka's DefaultKafkaPrincipalBuilder plus groups:
//
//	PLAINTEXT                       User:ANONYMOUS
//	SSL with a peer certificate     User:<SSLRules applied to the Java-format subject DN>
//	SSL without a certificate       User:ANONYMOUS
//	SASL_PLAINTEXT, SASL_SSL        User:<SASLNameRules applied to the authorization id>
//
// (the certificate is ignored on SASL_SSL, as in Kafka). Authenticated
// users then get the groups of Groups, if set; ANONYMOUS gets none. A
// failed lookup follows Policy. Build holds no lock: concurrent
// connections resolve concurrently.
//
// The zero value is Kafka's default builder without groups. Fields must
// not change once Build is in use.
type DefaultBuilder struct {
	SSLRules  RulesByListener
	SASLRules RulesByListener
	// Groups resolves the groups of authenticated users (nil: none).
	Groups GroupResolver
	Policy FailurePolicy
	// Logger receives one warning per failed group lookup and a debug line
	// per subject (nil: discard).
	Logger  *slog.Logger
	Metrics *Metrics
}

// Build returns the subject of a connection. Errors are *BuildError: a DN
// or SASL name no rule maps, or (Strict) groups that could not be
// resolved.
func (b *DefaultBuilder) Build(ctx context.Context, ac *AuthContext) (*Subject, error) {
	user, err := b.user(ac)
	if err != nil {
		return nil, err
	}
	if b.Groups == nil || user == Anonymous && !isSASL(ac) {
		return newSubject(user, nil, ac), nil
	}
	names, err := b.Groups.Groups(ctx, user, ac)
	b.Metrics.resolution(ac.Listener, err)
	if err != nil {
		return b.groupsFailed(user, ac, err)
	}
	s := newSubject(user, names, ac)
	if l := b.Logger; l != nil && l.Enabled(ctx, slog.LevelDebug) {
		l.Debug("subject built", "listener", ac.Listener, "principal", user.String(), "groups", names)
	}
	return s, nil
}

func isSASL(ac *AuthContext) bool {
	return strings.HasPrefix(ac.SecurityProtocol, "SASL_") || ac.Mechanism != ""
}

// user is DefaultKafkaPrincipalBuilder's choice of the user principal.
func (b *DefaultBuilder) user(ac *AuthContext) (Principal, error) {
	if isSASL(ac) {
		name, err := b.SASLRules.For(ac.Listener).Map(ac.AuthorizationID)
		if err != nil {
			return Principal{}, &BuildError{
				Message: fmt.Sprintf("Failed to map name for '%s' based on SASL name rules.", ac.AuthorizationID),
				Err:     err,
			}
		}
		return User(name), nil
	}
	if ac.SecurityProtocol == "SSL" && len(ac.PeerCertificates) > 0 {
		dn, err := JavaDN(ac.PeerCertificates[0].RawSubject)
		if err != nil {
			return Principal{}, &BuildError{Message: "Failed to read the client certificate subject", Err: err}
		}
		name, err := b.SSLRules.For(ac.Listener).Map(dn)
		if err != nil {
			return Principal{}, &BuildError{
				Message: fmt.Sprintf("Failed to map name for '%s' based on SSL principal mapping rules.", dn),
				Err:     err,
			}
		}
		return User(name), nil
	}
	return Anonymous, nil
}

func (b *DefaultBuilder) groupsFailed(user Principal, ac *AuthContext, err error) (*Subject, error) {
	b.Metrics.groupFailure(ac.Listener, b.Policy)
	if b.Policy == Strict {
		if b.Logger != nil {
			b.Logger.Warn("group resolution failed: authentication refused (failure policy strict)",
				"listener", ac.Listener, "principal", user.String(), "err", err)
		}
		return nil, &BuildError{
			Message: fmt.Sprintf("Authentication failed: the groups of %s could not be resolved", user),
			Err:     err,
		}
	}
	if b.Logger != nil {
		b.Logger.Warn("group resolution failed: authenticated without groups (failure policy lenient)",
			"listener", ac.Listener, "principal", user.String(), "err", err)
	}
	s := newSubject(user, nil, ac)
	s.GroupsDegraded = true
	return s, nil
}

// Subjects with few groups are allocated together with their group
// array: building a subject from a warm cache costs one allocation.
type subject4 struct {
	s Subject
	g [4]Principal
}

type subject16 struct {
	s Subject
	g [16]Principal
}

// newSubject builds a subject with Group:<name> for each non-empty name.
func newSubject(user Principal, names []string, ac *AuthContext) *Subject {
	n := 0
	for _, name := range names {
		if name != "" {
			n++
		}
	}
	var s *Subject
	var groups []Principal
	switch {
	case n == 0:
		s = &Subject{}
	case n <= 4:
		blk := &subject4{}
		s, groups = &blk.s, blk.g[:0:n]
	case n <= 16:
		blk := &subject16{}
		s, groups = &blk.s, blk.g[:0:n]
	default:
		s, groups = &Subject{}, make([]Principal, 0, n)
	}
	for _, name := range names {
		if name != "" {
			groups = append(groups, Principal{Type: GroupType, Name: name})
		}
	}
	s.User, s.Groups, s.Context = user, groups, ac
	if ac != nil {
		s.Expiry = ac.CredentialExpiry
	}
	return s
}

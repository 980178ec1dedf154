package broker

// The per-connection authentication gate: Kafka's SaslServerAuthenticator
// state machine (spec §1.2), SaslHandshake (17) v0–1, SaslAuthenticate (36)
// v0–2, the legacy raw-token path of handshake v0, KIP-368
// re-authentication and session expiry, and the subject of SSL and
// PLAINTEXT connections. No ACL applies to these APIs.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/sasl"
)

func init() {
	register(keySaslHandshake, handleSaslHandshake)
	register(keySaslAuthenticate, handleSaslAuthenticate)
}

// authenticateTransport builds the subject of a PLAINTEXT or SSL
// connection (User:ANONYMOUS, or the mapped certificate DN).
func (c *conn) authenticateTransport() error {
	ac := c.authContext("")
	if tc, ok := c.nc.(*tls.Conn); ok {
		ac.PeerCertificates = tc.ConnectionState().PeerCertificates
	}
	s, err := c.buildSubject(ac)
	if err != nil {
		c.b.m.authResult(c.l.cfg.Name, transportMechanism(c.l), resultFailure, reasonPrincipal)
		return err
	}
	c.subject = s
	c.rc.Subject = s
	c.state = stateAuthenticated
	if c.l.tls {
		c.b.m.authResult(c.l.cfg.Name, "SSL", resultSuccess, reasonNone)
	}
	return nil
}

func (c *conn) authContext(mech string) *principal.AuthContext {
	return &principal.AuthContext{
		Listener:         c.l.cfg.Name,
		SecurityProtocol: c.l.cfg.SecurityProtocol,
		Mechanism:        mech,
		ClientAddr:       c.addr,
	}
}

func (c *conn) buildSubject(ac *principal.AuthContext) (*principal.Subject, error) {
	ctx, cancel := context.WithTimeout(c.b.ctx, 30*time.Second)
	defer cancel()
	s, err := c.b.cfg.Principals.Build(ctx, ac)
	if err != nil {
		return nil, fmt.Errorf("building principal: %w", err)
	}
	if s == nil {
		return nil, errors.New("building principal: builder returned no subject")
	}
	return s, nil
}

// gateAllows applies the pre-authentication rules to a request key; false
// closes the connection without a response, as Kafka does.
func (c *conn) gateAllows(frame []byte, key int16) bool {
	switch c.state {
	case stateInitial:
		if key == keyApiVersions || key == keySaslHandshake {
			return true
		}
		c.b.log.Info("closing connection: request before SASL authentication",
			"listener", c.l.cfg.Name, "client", c.host, "api", kmsg.NameForKey(key),
			"hint", "Invalid request, potential reasons: kafka client configured with the wrong security protocol, it does not support KIP-43 or it is not a kafka client.")
		c.countFailure(reasonUnauthenticatedRequest)
		return false
	case stateHandshake:
		if key == keySaslHandshake {
			return true
		}
		c.b.log.Info("closing connection: unexpected request during SASL handshake", "listener", c.l.cfg.Name, "client", c.host, "api", kmsg.NameForKey(key))
		c.countFailure(reasonUnauthenticatedRequest)
		return false
	case stateAuthenticate:
		if key == keySaslAuthenticate {
			return true
		}
		c.illegalSaslState(frame, key)
		return false
	}
	return false
}

// illegalSaslState answers a request other than SaslAuthenticate during
// the SASL authentication phase as Kafka does (spec §1.3): the request is
// parsed, its own error response carries ILLEGAL_SASL_STATE (34) and is
// sent after the failed-authentication delay, then the connection closes.
// APIs errorResponse cannot answer (Produce, Fetch, ...) get no response.
func (c *conn) illegalSaslState(frame []byte, key int16) {
	msg := fmt.Sprintf("Unexpected Kafka request of type %s during SASL authentication.", apiEnumName(key))
	req, err := protocol.Decode(frame)
	if err != nil {
		c.b.log.Info("closing connection: "+msg, "listener", c.l.cfg.Name, "client", c.host, "err", err)
		c.countFailure(reasonIllegalSaslState)
		return
	}
	c.failAuth(req.Header, errorResponse(req, kerr.IllegalSaslState.Code), reasonIllegalSaslState, msg)
}

// errorResponse builds the error response Kafka's getErrorResponse would
// for the APIs a client may send out of turn: Metadata gets the error on
// each requested topic; an API whose response has a top-level error code
// in this version gets it there. Others get nil (no response).
func errorResponse(req *protocol.Request, code int16) kmsg.Response {
	switch body := req.Body.(type) {
	case *kmsg.MetadataRequest:
		resp := body.ResponseKind().(*kmsg.MetadataResponse)
		for _, t := range body.Topics {
			rt := kmsg.NewMetadataResponseTopic()
			rt.Topic, rt.TopicID, rt.ErrorCode = t.Topic, t.TopicID, code
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	case *kmsg.ApiVersionsRequest, *kmsg.JoinGroupRequest, *kmsg.SyncGroupRequest,
		*kmsg.HeartbeatRequest, *kmsg.LeaveGroupRequest, *kmsg.ListGroupsRequest, *kmsg.InitProducerIDRequest,
		*kmsg.SASLHandshakeRequest, *kmsg.DescribeACLsRequest, *kmsg.DescribeUserSCRAMCredentialsRequest:
		r := body.ResponseKind()
		if f := reflect.ValueOf(r).Elem().FieldByName("ErrorCode"); f.IsValid() && f.Kind() == reflect.Int16 {
			f.SetInt(int64(code))
			return r
		}
	}
	return nil
}

// apiEnumName is Kafka's ApiKeys enum name of key (e.g. METADATA,
// API_VERSIONS), as its messages print it.
func apiEnumName(key int16) string {
	var sb strings.Builder
	for i, r := range kmsg.NameForKey(key) {
		if i > 0 && r >= 'A' && r <= 'Z' {
			sb.WriteByte('_')
		}
		sb.WriteRune(r)
	}
	return strings.ToUpper(sb.String())
}

func handleSaslHandshake(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.SASLHandshakeRequest)
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = c.l.mechNames
	if !c.l.sasl {
		resp.ErrorCode = 34 // ILLEGAL_SASL_STATE: no SASL on this listener
		return resp, nil
	}
	if c.state == stateAuthenticated {
		// KIP-368: a handshake on an authenticated connection starts a
		// re-authentication when the session has an expiry and the last one
		// started at least a second ago; otherwise KafkaApis answers
		// ILLEGAL_SASL_STATE and the connection stays open.
		if !c.canReauth() {
			resp.ErrorCode = 34
			resp.SupportedMechanisms = nil
			return resp, nil
		}
		c.reauth = true
		c.lastReauth = c.b.now()
	}
	var mech sasl.Mechanism
	for _, m := range c.l.cfg.Mechanisms {
		if m.Name() == req.Mechanism {
			mech = m
		}
	}
	if mech == nil {
		// Kafka builds this response and throws
		// UnsupportedSaslMechanismException: the response goes out after
		// the failed-authentication delay and the connection closes.
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		c.failAuth(r.Header, resp, reasonUnsupportedMechanism, fmt.Sprintf("Unsupported SASL mechanism %s", req.Mechanism), "enabled", strings.Join(c.l.mechNames, ","))
		return nil, nil
	}
	c.mech = mech
	c.sess = mech.NewSession(sasl.ConnInfo{Listener: c.l.cfg.Name, RemoteAddr: c.nc.RemoteAddr()})
	c.hsVersion = r.Version
	if r.Version == 0 {
		c.state = stateRawToken
	} else {
		c.state = stateAuthenticate
	}
	return resp, nil
}

func handleSaslAuthenticate(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.SASLAuthenticateRequest)
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	if c.state != stateAuthenticate {
		resp.ErrorCode = 34
		msg := "SaslAuthenticate request received after successful authentication"
		if c.state != stateAuthenticated {
			msg = "Unexpected SaslAuthenticate request"
		}
		resp.ErrorMessage = &msg
		return resp, nil
	}
	if c.reauth && c.mech.Name() != c.authMech {
		// REAUTH_BAD_MECHANISM: the handshake was answered, the next
		// packet fails with no response.
		c.failAuth(r.Header, nil, reasonMechanismChanged, c.badReauthMechanism())
		return nil, nil
	}
	challenge, done, err := c.step(req.SASLAuthBytes)
	if err != nil {
		msg := sasl.ClientMessage(err, c.mech.Name(), c.reauth)
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		resp.ErrorMessage = &msg
		c.failAuth(r.Header, resp, reasonInvalidCredentials, msg, "detail", err.Error())
		return nil, nil
	}
	resp.SASLAuthBytes = challenge
	if done {
		lifetime, reason, err := c.complete()
		if err != nil {
			msg := err.Error()
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			resp.ErrorMessage = &msg
			resp.SASLAuthBytes = nil
			c.failAuth(r.Header, resp, reason, msg)
			return nil, nil
		}
		resp.SessionLifetimeMillis = lifetime
	}
	return resp, nil
}

func (c *conn) step(token []byte) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(c.b.ctx, 30*time.Second)
	defer cancel()
	return c.sess.Step(ctx, token)
}

// complete finishes a successful exchange: builds the subject, checks the
// re-authentication rules and computes the session lifetime (spec §2.1).
// A failure comes with its metrics reason.
func (c *conn) complete() (int64, string, error) {
	id := c.sess.Identity()
	ac := c.authContext(c.mech.Name())
	ac.AuthorizationID = id.AuthorizationID
	ac.Claims = id.Claims
	ac.CredentialExpiry = id.Expiry
	if tc, ok := c.nc.(*tls.Conn); ok {
		ac.PeerCertificates = tc.ConnectionState().PeerCertificates
	}
	s, err := c.buildSubject(ac)
	if err != nil {
		var be *principal.BuildError
		if errors.As(err, &be) {
			return 0, reasonPrincipal, errors.New(be.Message)
		}
		c.b.log.Warn("failed authentication: principal", "listener", c.l.cfg.Name, "client", c.host, "err", err)
		return 0, reasonPrincipal, errors.New(sasl.GenericMessage(c.mech.Name(), c.reauth))
	}
	if c.reauth {
		if s.User != c.subject.User {
			return 0, reasonPrincipalChanged, fmt.Errorf("Cannot change principals during re-authentication from %s.%s: %s.%s", c.subject.User.Type, c.subject.User.Name, s.User.Type, s.User.Name)
		}
	}
	now := c.b.now()
	var lifetime int64
	maxReauth := c.b.cfg.MaxReauth
	credSet := !id.Expiry.IsZero()
	if c.b.cfg.LegacyTokenExpiry {
		credSet = credSet && maxReauth > 0 // 2.x: a token alone sets no expiry
	}
	c.sessionExpiry = time.Time{}
	if credSet || maxReauth > 0 {
		switch {
		case !credSet:
			lifetime = maxReauth.Milliseconds()
		case maxReauth <= 0:
			lifetime = max(0, id.Expiry.Sub(now).Milliseconds())
		default:
			lifetime = max(0, min(id.Expiry.Sub(now).Milliseconds(), maxReauth.Milliseconds()))
		}
		c.sessionExpiry = now.Add(time.Duration(lifetime) * time.Millisecond)
	}
	if c.reauth {
		c.b.m.reauth(c.l.cfg.Name, c.mech.Name(), resultSuccess, reasonNone)
	} else {
		c.b.m.authResult(c.l.cfg.Name, c.mech.Name(), resultSuccess, reasonNone)
	}
	c.b.log.Debug("authenticated", "listener", c.l.cfg.Name, "client", c.host, "mechanism", c.mech.Name(), "principal", s.User.String(), "groups", len(s.Groups), "session_lifetime_ms", lifetime, "reauth", c.reauth)
	c.subject = s
	c.rc.Subject = s
	c.authMech = c.mech.Name()
	c.state = stateAuthenticated
	c.sess, c.mech, c.reauth = nil, nil, false
	return lifetime, reasonNone, nil
}

// failAuth logs and counts a failed authentication (reason is the bounded
// metrics reason; msg is what Kafka logs: the client's message or the
// cause), then sends resp (if any) after
// connection.failed.authentication.delay.ms and closes the connection.
func (c *conn) failAuth(h protocol.Header, resp kmsg.Response, reason, msg string, attrs ...any) {
	mech := ""
	if c.mech != nil {
		mech = c.mech.Name()
	}
	attrs = append([]any{"listener", c.l.cfg.Name, "mechanism", mech, "reauth", c.reauth}, attrs...)
	c.b.log.Info(fmt.Sprintf("Failed authentication with %s (%s)", c.host, msg), attrs...)
	c.countFailure(reason)
	c.state = stateFailed
	c.delayFailure()
	var buf []byte
	if resp != nil {
		resp.SetVersion(h.Version)
		buf = protocol.AppendResponse(nil, h, resp)
	}
	c.send(buf, true)
}

// canReauth reports whether a SaslHandshake on this authenticated
// connection starts a KIP-368 re-authentication (Kafka's
// maybeBeginServerReauthentication): the session must have an expiry and
// the previous re-authentication must have started at least 1 s ago.
func (c *conn) canReauth() bool {
	return c.l.sasl && !c.sessionExpiry.IsZero() && (c.lastReauth.IsZero() || c.b.now().Sub(c.lastReauth) >= time.Second)
}

func (c *conn) badReauthMechanism() string {
	return fmt.Sprintf("SASL mechanism '%s' requested by client is not supported for re-authentication of mechanism '%s'", c.mech.Name(), c.authMech)
}

func (c *conn) delayFailure() {
	if d := c.b.cfg.FailedAuthDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.b.ctx.Done():
			t.Stop()
		}
	}
}

// rawToken handles one unframed SASL token after SaslHandshake v0.
func (c *conn) rawToken(token []byte) bool {
	if c.reauth && c.mech.Name() != c.authMech {
		c.failAuth(protocol.Header{}, nil, reasonMechanismChanged, c.badReauthMechanism())
		return false
	}
	challenge, done, err := c.step(token)
	if err != nil {
		c.b.log.Info(fmt.Sprintf("Failed authentication with %s (%s)", c.host, sasl.ClientMessage(err, c.mech.Name(), false)), "listener", c.l.cfg.Name, "mechanism", c.mech.Name(), "detail", err.Error())
		c.countFailure(reasonInvalidCredentials)
		c.state = stateFailed
		c.delayFailure()
		return false
	}
	if done {
		if _, reason, err := c.complete(); err != nil {
			c.b.log.Info(fmt.Sprintf("Failed authentication with %s (%s)", c.host, err), "listener", c.l.cfg.Name)
			c.countFailure(reason)
			c.state = stateFailed
			c.delayFailure()
			return false
		}
	}
	if challenge == nil {
		challenge = []byte{}
	}
	c.send(protocol.AppendRaw(nil, challenge), false)
	return true
}

// countFailure counts a failed authentication of this connection: a
// re-authentication when one is in progress, else a first authentication
// (Kafka's failed-reauthentication-total / failed-authentication-total).
func (c *conn) countFailure(reason string) {
	mech := ""
	if c.mech != nil {
		mech = c.mech.Name()
	}
	if c.reauth {
		c.b.m.reauth(c.l.cfg.Name, mech, resultFailure, reason)
	} else {
		c.b.m.authResult(c.l.cfg.Name, mech, resultFailure, reason)
	}
}

// countAbandoned counts an exchange the client left unfinished by closing
// the connection: after a rejection the session reports (OAUTHBEARER's
// error challenge) as invalid_credentials, otherwise as abandoned. Kafka
// counts no failure in either case.
func (c *conn) countAbandoned() {
	if c.sess == nil || (c.state != stateAuthenticate && c.state != stateRawToken) {
		return
	}
	if r, ok := c.sess.(sasl.Rejecting); ok && r.Rejected() {
		c.countFailure(reasonInvalidCredentials) // it left instead of acknowledging the rejection
		return
	}
	c.countFailure(reasonAbandoned)
}

// transportMechanism names the mechanism label of a PLAINTEXT or SSL
// connection's authentication.
func transportMechanism(l *listener) string {
	if l.tls {
		return "SSL"
	}
	return l.cfg.SecurityProtocol
}

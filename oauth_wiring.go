package minikafka

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/sasl"
	"github.com/minikafka/minikafka/sasl/oauthbearer"
)

func init() {
	mechanismFactories[sasl.OAuthBearer] = newOAuthMechanism
	wirers = append(wirers, wireOAuth)
	adminRoutes = append(adminRoutes, oauthAdminRoutes)
}

// oauthState is the per-broker OAUTHBEARER state: the development issuer
// and the JWKS caches, shared by listeners with the same JWKS settings
// (as Kafka shares one resolver per configuration).
type oauthState struct {
	err    error
	issuer *issuer

	mu   sync.Mutex
	jwks map[jwksKey]*oauthbearer.JWKS
}

type jwksKey struct {
	url                    string
	refresh, backoff, bmax time.Duration
	client                 *http.Client
}

// oauth returns the broker's OAUTHBEARER state, creating it on first use.
// That first use is always in New (a mechanism factory or wireOAuth), so
// later concurrent callers only read it.
func (mb *Broker) oauth() (*oauthState, error) {
	if mb.oauthSt == nil {
		st := &oauthState{jwks: map[jwksKey]*oauthbearer.JWKS{}}
		if mb.cfg.OAuth.Issuer.Enable {
			iss, err := newIssuer(mb.cfg.OAuth.Issuer, mb.cfg.Now, mb.logger)
			if err != nil {
				st.err = fmt.Errorf("minikafka: development token issuer: %w", err)
			}
			st.issuer = iss
		}
		mb.oauthSt = st
	}
	return mb.oauthSt, mb.oauthSt.err
}

// wireOAuth makes sure the issuer exists (and its config errors surface in
// New) even when no listener enables OAUTHBEARER.
func wireOAuth(mb *Broker, _ *broker.Config) error {
	_, err := mb.oauth()
	return err
}

func oauthAdminRoutes(mb *Broker, mux *http.ServeMux, addr string) {
	st, err := mb.oauth()
	if err != nil || st.issuer == nil {
		return
	}
	st.issuer.setAdminAddr(addr)
	st.issuer.routes(mux)
	ids := make([]string, 0, len(st.issuer.cfg.Clients))
	for id := range st.issuer.cfg.Clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	mb.logger.Info("development OAuth token issuer enabled: do not use it in production",
		"issuer", st.issuer.issuerURL(), "token_endpoint", st.issuer.issuerURL()+issuerTokenPath,
		"jwks_uri", st.issuer.issuerURL()+issuerJWKSPath, "clients", strings.Join(ids, ","))
}

// newOAuthMechanism is the OAUTHBEARER factory of a listener.
func newOAuthMechanism(mb *Broker, l *Listener) (sasl.Mechanism, error) {
	st, err := mb.oauth()
	if err != nil {
		return nil, err
	}
	name := l.Name
	if name == "" {
		name = l.SecurityProtocol
	}
	vc := mb.cfg.OAuth.forListener(name)
	v, err := st.validator(mb, name, vc)
	if err != nil {
		return nil, err
	}
	return oauthbearer.New(oauthbearer.Config{Validator: v, FailureReason: vc.FailureReason, Logger: mb.logger})
}

// validator picks and builds the validator of a listener (rules on
// OAuthValidation).
func (st *oauthState) validator(mb *Broker, listener string, vc OAuthValidation) (oauthbearer.Validator, error) {
	if vc.Validator != nil {
		return vc.Validator, nil
	}
	secure := vc.JWKSURL != "" || st.issuer != nil
	switch vc.CallbackHandler {
	case "":
	case OAuthSecureHandler, OAuthSecureHandlerLegacy:
		if !secure {
			return nil, fmt.Errorf("%s needs sasl.oauthbearer.jwks.endpoint.url (or minikafka.oauth.issuer.enable=true)", vc.CallbackHandler)
		}
	case OAuthUnsecuredHandler:
		secure = false
		if vc.JWKSURL != "" {
			mb.logger.Warn("OAUTHBEARER: sasl.oauthbearer.jwks.endpoint.url is ignored: the listener's callback handler is the unsecured one", "listener", listener, "url", vc.JWKSURL)
		}
	default:
		return nil, fmt.Errorf("unsupported callback handler class %q", vc.CallbackHandler)
	}
	if !secure {
		mb.logger.Warn("OAUTHBEARER uses Kafka's UNSECURED validator: tokens are not signed and any client can claim any principal. "+
			"Set sasl.oauthbearer.jwks.endpoint.url or minikafka.oauth.issuer.enable=true for signed tokens.", "listener", listener)
		return oauthbearer.NewUnsecuredValidator(oauthbearer.UnsecuredConfig{
			PrincipalClaim:     vc.Unsecured.PrincipalClaim,
			ScopeClaim:         vc.Unsecured.ScopeClaim,
			RequiredScopes:     vc.Unsecured.RequiredScopes,
			AllowableClockSkew: vc.Unsecured.AllowableClockSkew,
			Now:                mb.cfg.Now,
		})
	}
	jc := oauthbearer.JWTConfig{
		ExpectedAudience:  vc.ExpectedAudience,
		ExpectedIssuer:    vc.ExpectedIssuer,
		SubClaim:          vc.SubClaim,
		ScopeClaim:        vc.ScopeClaim,
		ClockSkew:         vc.ClockSkew,
		AllowedAlgorithms: vc.AllowedAlgorithms,
		Now:               mb.cfg.Now,
	}
	if vc.JWKSURL != "" {
		j, err := st.jwksFor(mb, vc)
		if err != nil {
			return nil, err
		}
		jc.Keys = j
	} else {
		// The built-in issuer's keys, in-process. Its iss is known only
		// once the admin listener is bound, so iss is checked only when
		// configured; the per-broker signing key is the trust anchor.
		jc.Keys = oauthbearer.StaticKeys{Set: st.issuer.keys, Name: "the built-in development issuer"}
		if len(jc.ExpectedAudience) == 0 {
			jc.ExpectedAudience = []string{st.issuer.cfg.Audience}
		}
	}
	return oauthbearer.NewJWTValidator(jc)
}

func (st *oauthState) jwksFor(mb *Broker, vc OAuthValidation) (*oauthbearer.JWKS, error) {
	key := jwksKey{url: vc.JWKSURL, refresh: vc.JWKSRefresh, backoff: vc.JWKSRetryBackoff, bmax: vc.JWKSRetryBackoffMax, client: vc.HTTPClient}
	st.mu.Lock()
	defer st.mu.Unlock()
	if j := st.jwks[key]; j != nil {
		return j, nil
	}
	j, err := oauthbearer.NewJWKS(context.Background(), oauthbearer.JWKSConfig{
		URL: vc.JWKSURL, Refresh: vc.JWKSRefresh, RetryBackoff: vc.JWKSRetryBackoff, RetryBackoffMax: vc.JWKSRetryBackoffMax,
		HTTPClient: vc.HTTPClient, Logger: mb.logger, Now: mb.cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	st.jwks[key] = j
	mb.closers = append(mb.closers, j.Close)
	return j, nil
}

// MintToken signs a token with the development issuer's key, for tests:
// sub is the subject, claims are added to (or override) the defaults iss,
// aud, iat, exp = now+ttl (ttl may be negative for an expired token) and
// jti; a nil claim value removes that claim. The broker's OAUTHBEARER
// validator accepts it when the issuer is enabled and no external JWKS is
// configured. It fails when the issuer is not enabled.
func (mb *Broker) MintToken(sub string, claims map[string]any, ttl time.Duration) (string, error) {
	st, err := mb.oauth()
	if err != nil {
		return "", err
	}
	if st.issuer == nil {
		return "", errors.New("minikafka: the development token issuer is not enabled (Config.OAuth.Issuer.Enable / minikafka.oauth.issuer.enable)")
	}
	return st.issuer.mint(sub, claims, ttl)
}

// IssuerURL returns the development issuer's iss value (its base URL once
// the admin listener is bound), or "" when the issuer is not enabled.
func (mb *Broker) IssuerURL() string {
	st, err := mb.oauth()
	if err != nil || st.issuer == nil {
		return ""
	}
	return st.issuer.issuerURL()
}

package minikafka

import (
	"crypto/rsa"
	"net/http"
	"strings"
	"time"

	"github.com/minikafka/minikafka/sasl/oauthbearer"
)

// OAuthConfig configures SASL/OAUTHBEARER and the development token
// issuer. The embedded OAuthValidation applies to every listener that
// enables OAUTHBEARER, unless Listeners has an entry for it.
type OAuthConfig struct {
	OAuthValidation
	// Listeners replaces OAuthValidation for the named listeners (Kafka's
	// listener.name.<l>.oauthbearer.* keys). An entry is complete: it does
	// not inherit from the embedded defaults (the properties parser copies
	// them into the entry before applying the listener's own keys).
	Listeners map[string]OAuthValidation
	// Issuer is the built-in development token issuer (off by default).
	Issuer OAuthIssuerConfig
}

// Kafka's callback handler classes accepted in CallbackHandler.
const (
	// OAuthSecureHandler is Kafka's JWKS-validating handler (3.4+ name).
	OAuthSecureHandler = "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
	// OAuthSecureHandlerLegacy is its 3.1–3.3 name.
	OAuthSecureHandlerLegacy = "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler"
	// OAuthUnsecuredHandler is Kafka's default, unsecured (alg none) handler.
	OAuthUnsecuredHandler = "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler"
)

// OAuthValidation configures how OAUTHBEARER tokens are validated on a
// listener. Which validator runs:
//   - Validator, when set (Go only);
//   - else, per CallbackHandler if set (Kafka class names above);
//   - else the secure validator when JWKSURL is set, or when the issuer is
//     enabled (it then trusts the issuer's keys in-process);
//   - else Kafka's unsecured validator, with a loud WARN at startup.
type OAuthValidation struct {
	// JWKSURL is sasl.oauthbearer.jwks.endpoint.url (http, https or file).
	// The first fetch happens in New; its failure fails New, naming the URL.
	JWKSURL string
	// JWKSRefresh is sasl.oauthbearer.jwks.endpoint.refresh.ms (default 1 h).
	JWKSRefresh time.Duration
	// JWKSRetryBackoff and JWKSRetryBackoffMax are
	// sasl.oauthbearer.jwks.endpoint.retry.backoff{,.max}.ms (100 ms, 10 s).
	JWKSRetryBackoff    time.Duration
	JWKSRetryBackoffMax time.Duration
	// ExpectedAudience is sasl.oauthbearer.expected.audience. When empty, a
	// token with an aud claim is rejected, as in Kafka (with the built-in
	// issuer the default is the issuer's audience).
	ExpectedAudience []string
	// ExpectedIssuer is sasl.oauthbearer.expected.issuer (empty: not checked).
	ExpectedIssuer string
	// ScopeClaim is sasl.oauthbearer.scope.claim.name (default scope).
	ScopeClaim string
	// SubClaim is sasl.oauthbearer.sub.claim.name (default sub).
	SubClaim string
	// ClockSkew is sasl.oauthbearer.clock.skew.seconds: zero means the
	// default 30 s, negative means no skew.
	ClockSkew time.Duration
	// CallbackHandler is
	// listener.name.<l>.oauthbearer.sasl.server.callback.handler.class.
	CallbackHandler string
	// Unsecured are the JAAS options of the unsecured validator
	// (listener.name.<l>.oauthbearer.sasl.jaas.config).
	Unsecured OAuthUnsecured
	// AllowedAlgorithms is minikafka.oauthbearer.allowed.algorithms
	// (default RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA; "none" is refused).
	AllowedAlgorithms []string
	// FailureReason is minikafka.oauthbearer.failure.reason: a rejected
	// token fails in one round with "Token validation failed: <reason>
	// (ErrId: <hex>)" instead of Kafka's {"status":"invalid_token"}.
	FailureReason bool
	// Validator replaces the built-in validators (Go only).
	Validator oauthbearer.Validator
	// HTTPClient fetches the JWKS (Go only; e.g. custom TLS roots).
	HTTPClient *http.Client
}

// OAuthUnsecured are the unsecured validator's JAAS options.
type OAuthUnsecured struct {
	PrincipalClaim     string        // unsecuredValidatorPrincipalClaimName (sub)
	ScopeClaim         string        // unsecuredValidatorScopeClaimName (scope)
	RequiredScopes     []string      // unsecuredValidatorRequiredScope (space-separated)
	AllowableClockSkew time.Duration // unsecuredValidatorAllowableClockSkewMs (0)
}

// OAuthIssuerConfig configures the built-in development token issuer. It
// serves an OAuth 2.0 token endpoint (client_credentials grant with
// client_secret_basic or client_secret_post), a JWKS and an OpenID
// discovery document on the admin HTTP listener, and signs RS256 JWTs.
type OAuthIssuerConfig struct {
	// Enable is minikafka.oauth.issuer.enable.
	Enable bool
	// URL is the iss claim and the base of the endpoints in the discovery
	// document (minikafka.oauth.issuer.url). Default: http://<admin addr>,
	// or urn:minikafka:issuer without an admin listener.
	URL string
	// Audience is the aud claim (minikafka.oauth.issuer.audience, default
	// "kafka").
	Audience string
	// TokenTTL is the lifetime of issued tokens
	// (minikafka.oauth.issuer.token.ttl.ms, default 1 h).
	TokenTTL time.Duration
	// Clients are the OAuth clients by client id
	// (minikafka.oauth.issuer.client.<id>.*).
	Clients map[string]OAuthIssuerClient
	// Key signs tokens (default: a new 2048-bit RSA key per broker).
	Key *rsa.PrivateKey
}

// OAuthIssuerClient is one client of the development issuer.
type OAuthIssuerClient struct {
	// Secret is minikafka.oauth.issuer.client.<id>.secret.
	Secret string
	// Scopes are the scopes the client may request
	// (minikafka.oauth.issuer.client.<id>.scopes); empty: any.
	Scopes []string
	// Claims are added to its tokens:
	// minikafka.oauth.issuer.client.<id>.claims.<name>=a,b sets a list,
	// minikafka.oauth.issuer.client.<id>.claim.<name>=v a string.
	Claims map[string]any
}

// forListener returns the validation settings of a listener.
func (c *OAuthConfig) forListener(name string) OAuthValidation {
	for k, v := range c.Listeners {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return c.OAuthValidation
}

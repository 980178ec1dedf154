package minikafka

import (
	"strconv"
	"strings"
	"time"

	"github.com/minikafka/minikafka/sasl/jaas"
)

func init() { propertySections = append(propertySections, oauthProperties) }

const oauthLoginModule = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"

// oauthProperties reads the OAUTHBEARER keys: Kafka's sasl.oauthbearer.*
// (also under listener.name.<l>.oauthbearer.), the listener's callback
// handler class and JAAS options, minikafka.oauthbearer.* and the
// development issuer's minikafka.oauth.issuer.*.
func oauthProperties(p *Properties, c *Config) error {
	if err := readOAuthValidation(p, "", &c.OAuth.OAuthValidation); err != nil {
		return err
	}
	for _, l := range c.Listeners {
		prefix := "listener.name." + strings.ToLower(l.Name) + ".oauthbearer."
		if len(p.WithPrefix(prefix)) == 0 {
			continue
		}
		v := c.OAuth.OAuthValidation
		v.ExpectedAudience = append([]string(nil), v.ExpectedAudience...)
		v.AllowedAlgorithms = append([]string(nil), v.AllowedAlgorithms...)
		if err := readOAuthValidation(p, prefix, &v); err != nil {
			return err
		}
		if err := readOAuthListenerOnly(p, prefix, &v); err != nil {
			return err
		}
		if c.OAuth.Listeners == nil {
			c.OAuth.Listeners = map[string]OAuthValidation{}
		}
		c.OAuth.Listeners[l.Name] = v
	}
	return readOAuthIssuer(p, &c.OAuth.Issuer)
}

func readOAuthValidation(p *Properties, prefix string, v *OAuthValidation) error {
	k := func(s string) string { return prefix + s }
	errs := []error{
		p.Millis(k("sasl.oauthbearer.jwks.endpoint.refresh.ms"), func(d time.Duration) { v.JWKSRefresh = d }),
		p.Millis(k("sasl.oauthbearer.jwks.endpoint.retry.backoff.ms"), func(d time.Duration) { v.JWKSRetryBackoff = d }),
		p.Millis(k("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms"), func(d time.Duration) { v.JWKSRetryBackoffMax = d }),
		p.Int(k("sasl.oauthbearer.clock.skew.seconds"), 32, func(n int64) {
			v.ClockSkew = time.Duration(n) * time.Second
			if n == 0 {
				v.ClockSkew = -1 // explicitly none
			}
		}),
		p.Bool(k("minikafka.oauthbearer.failure.reason"), func(b bool) { v.FailureReason = b }),
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if s, ok := p.Get(k("sasl.oauthbearer.jwks.endpoint.refresh.ms")); ok && s != "" && v.JWKSRefresh <= 0 {
		return p.Errorf(k("sasl.oauthbearer.jwks.endpoint.refresh.ms"), "must be positive, got %s", s)
	}
	if s, ok := p.Get(k("sasl.oauthbearer.clock.skew.seconds")); ok && strings.HasPrefix(s, "-") {
		return p.Errorf(k("sasl.oauthbearer.clock.skew.seconds"), "must not be negative, got %s", s)
	}
	if s, ok := p.Get(k("sasl.oauthbearer.jwks.endpoint.url")); ok {
		v.JWKSURL = s
	}
	if l, ok := p.List(k("sasl.oauthbearer.expected.audience")); ok {
		v.ExpectedAudience = l
	}
	if s, ok := p.Get(k("sasl.oauthbearer.expected.issuer")); ok {
		v.ExpectedIssuer = s
	}
	if s, ok := p.Get(k("sasl.oauthbearer.scope.claim.name")); ok {
		v.ScopeClaim = s
	}
	if s, ok := p.Get(k("sasl.oauthbearer.sub.claim.name")); ok {
		v.SubClaim = s
	}
	if l, ok := p.List(k("minikafka.oauthbearer.allowed.algorithms")); ok {
		v.AllowedAlgorithms = l
	}
	return nil
}

// readOAuthListenerOnly reads the keys Kafka only knows per listener: the
// server callback handler class and the JAAS options.
func readOAuthListenerOnly(p *Properties, prefix string, v *OAuthValidation) error {
	key := prefix + "sasl.server.callback.handler.class"
	if s, ok := p.Get(key); ok {
		switch s {
		case OAuthSecureHandler, OAuthSecureHandlerLegacy, OAuthUnsecuredHandler:
			v.CallbackHandler = s
		default:
			return p.Errorf(key, "unsupported callback handler class %q (supported: %s, %s, %s)", s, OAuthSecureHandler, OAuthSecureHandlerLegacy, OAuthUnsecuredHandler)
		}
	}
	key = prefix + "sasl.jaas.config"
	s, ok := p.Get(key)
	if !ok {
		return nil
	}
	entry, err := jaas.ParseOne(s)
	if err != nil {
		return p.Errorf(key, "%v", err)
	}
	if entry.LoginModule != oauthLoginModule {
		return p.Errorf(key, "must hold exactly one %s entry, not %s", oauthLoginModule, entry.LoginModule)
	}
	opts := entry.Options
	u := &v.Unsecured
	u.PrincipalClaim = opts["unsecuredValidatorPrincipalClaimName"]
	u.ScopeClaim = opts["unsecuredValidatorScopeClaimName"]
	u.RequiredScopes = strings.Fields(opts["unsecuredValidatorRequiredScope"])
	if ms := strings.TrimSpace(opts["unsecuredValidatorAllowableClockSkewMs"]); ms != "" {
		n, err := strconv.ParseInt(ms, 10, 32)
		if err != nil || n < 0 {
			return p.Errorf(key, "unsecuredValidatorAllowableClockSkewMs must be a non-negative integer, got %q", ms)
		}
		u.AllowableClockSkew = time.Duration(n) * time.Millisecond
	}
	return nil
}

func readOAuthIssuer(p *Properties, ic *OAuthIssuerConfig) error {
	const pre = "minikafka.oauth.issuer."
	errs := []error{
		p.Bool(pre+"enable", func(b bool) { ic.Enable = b }),
		p.Millis(pre+"token.ttl.ms", func(d time.Duration) { ic.TokenTTL = d }),
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if ic.TokenTTL < 0 {
		return p.Errorf(pre+"token.ttl.ms", "must be positive")
	}
	if s, ok := p.Get(pre + "url"); ok {
		ic.URL = strings.TrimRight(s, "/")
	}
	if s, ok := p.Get(pre + "audience"); ok {
		ic.Audience = s
	}
	for _, key := range p.WithPrefix(pre + "client.") {
		rest := strings.TrimPrefix(key, pre+"client.")
		var id, field, claim string
		switch {
		case strings.HasSuffix(rest, ".secret"):
			id, field = strings.TrimSuffix(rest, ".secret"), "secret"
		case strings.HasSuffix(rest, ".scopes"):
			id, field = strings.TrimSuffix(rest, ".scopes"), "scopes"
		case strings.Contains(rest, ".claims."):
			id, claim, _ = strings.Cut(rest, ".claims.")
			field = "claims"
		case strings.Contains(rest, ".claim."):
			id, claim, _ = strings.Cut(rest, ".claim.")
			field = "claim"
		default:
			return p.Errorf(key, "unknown issuer client key (want client.<id>.secret, .scopes, .claims.<name> or .claim.<name>)")
		}
		if id == "" || (field == "claims" || field == "claim") && claim == "" {
			return p.Errorf(key, "missing client id or claim name")
		}
		if ic.Clients == nil {
			ic.Clients = map[string]OAuthIssuerClient{}
		}
		cl := ic.Clients[id]
		switch field {
		case "secret":
			cl.Secret, _ = p.Get(key)
		case "scopes":
			cl.Scopes, _ = p.List(key)
		case "claims":
			l, _ := p.List(key)
			if cl.Claims == nil {
				cl.Claims = map[string]any{}
			}
			list := make([]any, len(l))
			for i, s := range l {
				list[i] = s
			}
			cl.Claims[claim] = list
		case "claim":
			if cl.Claims == nil {
				cl.Claims = map[string]any{}
			}
			cl.Claims[claim], _ = p.Get(key)
		}
		ic.Clients[id] = cl
	}
	for id, cl := range ic.Clients {
		if cl.Secret == "" {
			return p.Errorf(pre+"client."+id+".secret", "client %q has no secret", id)
		}
	}
	return nil
}

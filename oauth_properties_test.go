package minikafka_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minikafka/minikafka"
)

func applyOAuthProps(t *testing.T, text string) (minikafka.Config, []string, error) {
	t.Helper()
	p, err := minikafka.ParseProperties(strings.NewReader(text), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	var cfg minikafka.Config
	warnings, err := p.Apply(&cfg)
	return cfg, warnings, err
}

func TestOAuthProperties(t *testing.T) {
	cfg, warnings, err := applyOAuthProps(t, `
listeners=CLIENT://127.0.0.1:9093,DEV://127.0.0.1:9094
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,DEV:SASL_PLAINTEXT
sasl.enabled.mechanisms=OAUTHBEARER
sasl.oauthbearer.jwks.endpoint.url=https://idp.example/jwks
sasl.oauthbearer.jwks.endpoint.refresh.ms=60000
sasl.oauthbearer.jwks.endpoint.retry.backoff.ms=50
sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms=2000
sasl.oauthbearer.expected.audience=kafka, other
sasl.oauthbearer.expected.issuer=https://idp.example
sasl.oauthbearer.scope.claim.name=scp
sasl.oauthbearer.sub.claim.name=client_id
sasl.oauthbearer.clock.skew.seconds=0
minikafka.oauthbearer.allowed.algorithms=RS256,ES256
minikafka.oauthbearer.failure.reason=true
listener.name.client.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
listener.name.client.oauthbearer.sasl.oauthbearer.expected.audience=client-aud
listener.name.dev.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler
listener.name.dev.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
    unsecuredLoginStringClaim_sub="admin" unsecuredValidatorPrincipalClaimName="user" \
    unsecuredValidatorScopeClaimName=scp unsecuredValidatorRequiredScope="LOGIN_TO_KAFKA KAFKA" \
    unsecuredValidatorAllowableClockSkewMs="3000";
minikafka.oauth.issuer.enable=true
minikafka.oauth.issuer.url=http://issuer.example/
minikafka.oauth.issuer.audience=aud-x
minikafka.oauth.issuer.token.ttl.ms=120000
minikafka.oauth.issuer.client.app-1.secret=s1
minikafka.oauth.issuer.client.app-1.scopes=kafka,admin
minikafka.oauth.issuer.client.app-1.claims.groups=a, b
minikafka.oauth.issuer.client.app-1.claim.tenant=t1
minikafka.oauth.issuer.client.app-2.secret=s2
`)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("apply: %v %v", err, warnings)
	}
	o := cfg.OAuth
	want := minikafka.OAuthValidation{
		JWKSURL: "https://idp.example/jwks", JWKSRefresh: time.Minute, JWKSRetryBackoff: 50 * time.Millisecond, JWKSRetryBackoffMax: 2 * time.Second,
		ExpectedAudience: []string{"kafka", "other"}, ExpectedIssuer: "https://idp.example", ScopeClaim: "scp", SubClaim: "client_id",
		ClockSkew: -1, AllowedAlgorithms: []string{"RS256", "ES256"}, FailureReason: true,
	}
	if !reflect.DeepEqual(o.OAuthValidation, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", o.OAuthValidation, want)
	}
	client := want
	client.CallbackHandler = minikafka.OAuthSecureHandler
	client.ExpectedAudience = []string{"client-aud"}
	if !reflect.DeepEqual(o.Listeners["CLIENT"], client) {
		t.Fatalf("CLIENT\n got %+v\nwant %+v", o.Listeners["CLIENT"], client)
	}
	dev := want
	dev.CallbackHandler = minikafka.OAuthUnsecuredHandler
	dev.Unsecured = minikafka.OAuthUnsecured{PrincipalClaim: "user", ScopeClaim: "scp", RequiredScopes: []string{"LOGIN_TO_KAFKA", "KAFKA"}, AllowableClockSkew: 3 * time.Second}
	if !reflect.DeepEqual(o.Listeners["DEV"], dev) {
		t.Fatalf("DEV\n got %+v\nwant %+v", o.Listeners["DEV"], dev)
	}
	is := o.Issuer
	if !is.Enable || is.URL != "http://issuer.example" || is.Audience != "aud-x" || is.TokenTTL != 2*time.Minute || len(is.Clients) != 2 {
		t.Fatalf("issuer %+v", is)
	}
	a := is.Clients["app-1"]
	if a.Secret != "s1" || !slices.Equal(a.Scopes, []string{"kafka", "admin"}) || !reflect.DeepEqual(a.Claims, map[string]any{"groups": []any{"a", "b"}, "tenant": "t1"}) {
		t.Fatalf("client app-1 %+v", a)
	}
}

func TestOAuthPropertiesErrors(t *testing.T) {
	base := "listeners=CLIENT://127.0.0.1:9093\nlistener.security.protocol.map=CLIENT:SASL_PLAINTEXT\nsasl.enabled.mechanisms=OAUTHBEARER\n"
	tests := map[string]struct{ line, want string }{
		"strimzi handler": {"listener.name.client.oauthbearer.sasl.server.callback.handler.class=io.strimzi.kafka.oauth.server.JaasServerOauthValidatorCallbackHandler",
			"server.properties:4: listener.name.client.oauthbearer.sasl.server.callback.handler.class: unsupported callback handler class"},
		"plain login module": {"listener.name.client.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required;",
			"server.properties:4: listener.name.client.oauthbearer.sasl.jaas.config: must hold exactly one org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule entry"},
		"jaas without semicolon": {"listener.name.client.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required",
			"JAAS config entry not terminated by semi-colon"},
		"negative skew ms": {`listener.name.client.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredValidatorAllowableClockSkewMs="-1";`,
			"unsecuredValidatorAllowableClockSkewMs must be a non-negative integer"},
		"bad refresh":        {"sasl.oauthbearer.jwks.endpoint.refresh.ms=soon", `server.properties:4: sasl.oauthbearer.jwks.endpoint.refresh.ms: invalid integer "soon"`},
		"zero refresh":       {"sasl.oauthbearer.jwks.endpoint.refresh.ms=0", "must be positive"},
		"negative skew":      {"sasl.oauthbearer.clock.skew.seconds=-5", "must not be negative"},
		"bad bool":           {"minikafka.oauthbearer.failure.reason=yes", "invalid boolean"},
		"client w/o secret":  {"minikafka.oauth.issuer.client.app.scopes=kafka", `client "app" has no secret`},
		"unknown client key": {"minikafka.oauth.issuer.client.app.color=blue", "unknown issuer client key"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := applyOAuthProps(t, base+tc.line+"\n")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestOAuthConfigErrors(t *testing.T) {
	listener := []minikafka.Listener{{Name: "C", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}}}
	tests := map[string]struct {
		oauth minikafka.OAuthConfig
		want  string
	}{
		"secure handler without JWKS": {minikafka.OAuthConfig{OAuthValidation: minikafka.OAuthValidation{CallbackHandler: minikafka.OAuthSecureHandler}}, "needs sasl.oauthbearer.jwks.endpoint.url"},
		"none allowed": {minikafka.OAuthConfig{OAuthValidation: minikafka.OAuthValidation{AllowedAlgorithms: []string{"none"}}, Issuer: minikafka.OAuthIssuerConfig{Enable: true}},
			`the algorithm "none" can never be allowed`},
		"bad JWKS scheme":         {minikafka.OAuthConfig{OAuthValidation: minikafka.OAuthValidation{JWKSURL: "ldap://x"}}, "must be an http, https or file URL"},
		"issuer client no secret": {minikafka.OAuthConfig{Issuer: minikafka.OAuthIssuerConfig{Enable: true, Clients: map[string]minikafka.OAuthIssuerClient{"a": {}}}}, `client "a" needs a non-empty id and secret`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := minikafka.New(minikafka.Config{Listeners: listener, OAuth: tc.oauth})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

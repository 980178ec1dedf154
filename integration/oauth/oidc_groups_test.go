package oauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/authorizer"
)

// TestOIDCProviderGroupsClaim: the groups claim of access tokens issued by
// a real OpenID provider (npm oidc-provider, client-credentials grant)
// becomes the subject's Group: principals, which ACLs grant:
// kafka-client-a (groups kafka-producers, team-a) writes orders through
// Group:kafka-producers; kafka-client-b (kafka-consumers) is denied.
func TestOIDCProviderGroupsClaim(t *testing.T) {
	idp, _ := startIDP(t, "0")
	b, lb := startBroker(t, func(c *minikafka.Config) {
		c.OAuth.Issuer.Enable = false
		c.OAuth.JWKSURL = idp.JWKSURI
		c.OAuth.ExpectedAudience = []string{"kafka-broker"}
		c.OAuth.ExpectedIssuer = idp.Issuer
		c.Principals.Groups.Resolvers = []string{minikafka.ResolverJWT}
		c.Authorizer = minikafka.AuthorizerConfig{Enabled: true, ACLs: []authorizer.ACL{
			{ResourceType: authorizer.ResourceTopic, ResourceName: "orders", PatternType: authorizer.PatternLiteral, Principal: "Group:kafka-producers", Host: "*", Operation: authorizer.OpWrite, Permission: authorizer.PermAllow},
			{ResourceType: authorizer.ResourceTopic, ResourceName: "orders", PatternType: authorizer.PatternLiteral, Principal: "Group:kafka-producers", Host: "*", Operation: authorizer.OpCreate, Permission: authorizer.PermAllow},
		}}
	})
	addr := b.Addr(listenerName)
	ctx := ctxTimeout(t, 60*time.Second)
	token := func(id, secret string) func(context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			return fetchToken(ctx, idp.TokenEndpoint, id, secret, "", false)
		}
	}
	if err := produceOne(ctx, franzClient(t, addr, token("kafka-client-a", "secret-a")), "orders", "v"); err != nil {
		t.Fatalf("kafka-client-a (Group:kafka-producers) writing orders: %v\n%s", err, lb.String())
	}
	if len(lb.lines("subject built", "principal=User:kafka-client-a", `groups="[kafka-producers team-a]"`)) == 0 {
		t.Fatalf("kafka-client-a's subject does not carry the provider's groups:\n%s", lb.String())
	}
	err := produceOne(ctx, franzClient(t, addr, token("kafka-client-b", "secret-b")), "orders", "v")
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("kafka-client-b (Group:kafka-consumers) writing orders: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	if len(lb.lines("subject built", "principal=User:kafka-client-b", "groups=[kafka-consumers]")) == 0 {
		t.Fatalf("kafka-client-b's subject does not carry the provider's groups:\n%s", lb.String())
	}
}

package oauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/authorizer"
)

// TestGroupsClaimToGroupACL: the groups claim of a validated token becomes
// Group: principals (jwt group resolver), which ACLs grant.
func TestGroupsClaimToGroupACL(t *testing.T) {
	b, _ := startBroker(t, func(c *minikafka.Config) {
		c.Principals.Groups.Resolvers = []string{minikafka.ResolverJWT}
		c.Authorizer = minikafka.AuthorizerConfig{
			Enabled:    true,
			SuperUsers: []string{"User:admin"},
			ACLs: []authorizer.ACL{
				{ResourceType: authorizer.ResourceTopic, ResourceName: "orders", PatternType: authorizer.PatternLiteral, Principal: "Group:kafka-producers", Host: "*", Operation: authorizer.OpWrite, Permission: authorizer.PermAllow},
			},
		}
	})
	addr := b.Addr(listenerName)
	ctx := ctxTimeout(t, 30*time.Second)
	token := func(sub string, groups ...string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			return b.MintToken(sub, map[string]any{"groups": groups}, time.Minute)
		}
	}
	if _, err := kadm.NewClient(franzClient(t, addr, token("admin"))).CreateTopic(ctx, 1, 1, nil, "orders"); err != nil {
		t.Fatalf("create topic as super user: %v", err)
	}
	if err := produceOne(ctx, franzClient(t, addr, token("alice", "team-a", "kafka-producers")), "orders", "v"); err != nil {
		t.Fatalf("member of kafka-producers: %v", err)
	}
	err := produceOne(ctx, franzClient(t, addr, token("bob", "kafka-consumers")), "orders", "v")
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("non-member: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
}

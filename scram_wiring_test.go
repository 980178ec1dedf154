package minikafka

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/broker"
)

// withAuthorizer adds a wirer installing z for the brokers created during
// the test (the ACL authorizer is wired by its own file; this test only
// needs a decision per principal).
func withAuthorizer(t *testing.T, z az.Authorizer) {
	saved := wirers
	wirers = append(append([]func(*Broker, *broker.Config) error(nil), saved...), func(_ *Broker, bc *broker.Config) error {
		bc.Authorizer = z
		return nil
	})
	t.Cleanup(func() { wirers = saved })
}

// TestScramAPIsNeedClusterPermission checks Describe (C:DESCRIBE) and
// Alter (C:ALTER) UserScramCredentials answer CLUSTER_AUTHORIZATION_FAILED
// as Kafka's getErrorResponse does, and act for an allowed principal.
func TestScramAPIsNeedClusterPermission(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	withAuthorizer(t, az.AuthorizerFunc(func(rc *az.RequestContext, a az.Action) az.Decision {
		if a.Resource.Type == az.ResourceCluster && (a.Operation == az.OpDescribe || a.Operation == az.OpAlter) {
			mu.Lock()
			seen = append(seen, rc.Subject.User.String()+" "+a.Operation.String())
			mu.Unlock()
			if rc.Subject.User.Name == "bob" {
				return az.Decision{Result: az.Deny}
			}
		}
		return az.Decision{Result: az.Allow}
	}))
	cfg := Config{Listeners: []Listener{{Name: "SASL_PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN"}}}}
	cfg.SASL.PlainUsers = map[string]string{"alice": "a", "bob": "b"}
	cfg.SASL.ScramUsers = []ScramUser{{Name: "carol", Password: "c"}}
	_, addr := Start(t, WithConfig(cfg))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := func(user, pass string) *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	bob, alice := client("bob", "b"), client("alice", "a")

	desc := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	desc.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{{Name: "carol"}, {Name: "x"}}
	dr, err := desc.RequestWith(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if dr.ErrorCode != kerr.ClusterAuthorizationFailed.Code || *dr.ErrorMessage != "Cluster authorization failed." || len(dr.Results) != 2 ||
		dr.Results[0].ErrorCode != dr.ErrorCode || dr.Results[0].User != "" || len(dr.Results[0].CredentialInfos) != 0 {
		t.Fatalf("denied describe: %+v", dr)
	}
	alter := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	alter.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: "zed", Mechanism: 1}, {Name: "carol", Mechanism: 1}}
	alter.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{{Name: "carol", Mechanism: 2, Iterations: 4096, Salt: []byte("s"), SaltedPassword: make([]byte, 64)}}
	ar, err := alter.RequestWith(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(ar.Results) != 2 || ar.Results[0].User != "carol" || ar.Results[1].User != "zed" {
		t.Fatalf("denied alter: want carol and zed (deduplicated, sorted): %+v", ar.Results)
	}
	for _, r := range ar.Results {
		if r.ErrorCode != kerr.ClusterAuthorizationFailed.Code || *r.ErrorMessage != "Cluster authorization failed." {
			t.Fatalf("denied alter: %+v", r)
		}
	}

	// Alice may; carol's credential is untouched by bob's attempt.
	dr, err = desc.RequestWith(ctx, alice)
	if err != nil || dr.ErrorCode != 0 || len(dr.Results) != 2 || dr.Results[0].User != "carol" || len(dr.Results[0].CredentialInfos) != 2 {
		t.Fatalf("allowed describe: %v %+v", err, dr)
	}
	if !errors.Is(kerr.ErrorForCode(dr.Results[1].ErrorCode), kerr.ResourceNotFound) {
		t.Fatalf("x: %+v", dr.Results[1])
	}
	want := []string{"User:bob DESCRIBE", "User:bob ALTER", "User:alice DESCRIBE"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("authorization checks %v, want %v", seen, want)
	}
}

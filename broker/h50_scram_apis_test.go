package broker

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/sasl/scram"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
)

// storeManager serves the SCRAM user APIs from an in-memory credential
// store, deriving stored and server keys as the root package does.
type storeManager struct{ st *mem.ScramStore }

func (m storeManager) Describe(ctx context.Context, user string) (map[string]int32, bool, error) {
	out := map[string]int32{}
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		if c, ok, err := m.st.GetScram(ctx, user, mech); err != nil {
			return nil, false, err
		} else if ok {
			out[mech] = c.Iterations
		}
	}
	return out, len(out) > 0, nil
}

func (m storeManager) List(ctx context.Context) ([]string, error) {
	us, err := m.st.ListScram(ctx)
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	return names, err
}

func (m storeManager) Upsert(ctx context.Context, user, mech string, iters int32, salt, salted []byte) error {
	c, err := scram.CredentialFromSaltedPassword(mech, salt, salted, int(iters))
	if err != nil {
		return err
	}
	return m.st.PutScram(ctx, user, storage.ScramCredential{Mechanism: mech, Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: iters})
}

func (m storeManager) Delete(ctx context.Context, user, mech string) (bool, error) {
	return m.st.DeleteScram(ctx, user, mech)
}

// TestScramUserAPIs drives AlterUserScramCredentials and
// DescribeUserScramCredentials over the wire with kadm: KIP-554 results
// per user, salts never returned.
func TestScramUserAPIs(t *testing.T) {
	_, addr := startBroker(t, func(c *Config) { c.Scram = storeManager{mem.NewScramStore()} })
	adm := kadm.NewClient(newClient(t, addr))
	ctx := testCtx(t)

	altered, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "alice-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := altered["alice"]; a.Err != nil {
		t.Fatalf("alice: %v", a.Err)
	}
	// kadm refuses too few iterations itself; the raw request reaches the
	// broker's own check.
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	up := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	up.Name, up.Mechanism, up.Iterations, up.Salt, up.SaltedPassword = "bob", 2, 1000, []byte("salt"), []byte("salted-password")
	req.Upsertions = append(req.Upsertions, up)
	resp := request[*kmsg.AlterUserSCRAMCredentialsResponse](t, newClient(t, addr), req)
	if len(resp.Results) != 1 || resp.Results[0].ErrorCode != kerr.UnacceptableCredential.Code || deref(resp.Results[0].ErrorMessage) != "Too few iterations" {
		t.Fatalf("bob: %+v, want UNACCEPTABLE_CREDENTIAL \"Too few iterations\"", resp.Results)
	}
	described, err := adm.DescribeUserSCRAMs(ctx, "alice", "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if a := described["alice"]; a.Err != nil || len(a.CredInfos) != 1 || a.CredInfos[0].Iterations != 8192 || a.CredInfos[0].Mechanism != kadm.ScramSha256 {
		t.Fatalf("alice described as %+v", a)
	}
	if n := described["nobody"]; n.Err != kerr.ResourceNotFound {
		t.Fatalf("nobody described as %+v, want RESOURCE_NOT_FOUND", n)
	}
	altered, err = adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "alice", Mechanism: kadm.ScramSha512}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := altered["alice"]; a.Err != kerr.ResourceNotFound {
		t.Fatalf("deleting a missing mechanism: %v, want RESOURCE_NOT_FOUND", a.Err)
	}
}

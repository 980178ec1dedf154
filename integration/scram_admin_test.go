package integration

import (
	"context"
	"errors"
	"testing"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
)

func adminClient(t *testing.T, addr string) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism("PLAIN", "alice", "alice-secret")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// scramLogin tries a SCRAM login with kgo and returns the error.
func scramLogin(t *testing.T, addr, mech, user, pass string) error {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(franzMechanism(mech, user, pass)))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	return cl.Ping(testContext(t))
}

func wantCredInfos(t *testing.T, d kadm.DescribedUserSCRAM, want ...kadm.CredInfo) {
	t.Helper()
	if d.Err != nil {
		t.Fatalf("describe %s: %v %s", d.User, d.Err, d.ErrMessage)
	}
	if len(d.CredInfos) != len(want) {
		t.Fatalf("describe %s: %v, want %v", d.User, d.CredInfos, want)
	}
	for i := range want {
		if d.CredInfos[i] != want[i] {
			t.Fatalf("describe %s: %v, want %v", d.User, d.CredInfos, want)
		}
	}
}

// TestScramAdminKadm manages SCRAM users with franz-go's kadm
// (KIP-554) and logs in with them.
func TestScramAdminKadm(t *testing.T) {
	_, addr, _ := startSASL(t)
	ctx := testContext(t)
	adm := kadm.NewClient(adminClient(t, addr))

	all, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("describe all: %v", all)
	}
	wantCredInfos(t, all["alice"], kadm.CredInfo{Mechanism: kadm.ScramSha256, Iterations: 4096}, kadm.CredInfo{Mechanism: kadm.ScramSha512, Iterations: 4096})

	// Create carol (SCRAM-SHA-256, 8192 iterations) and log in.
	res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "carol", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "carol-secret"}})
	if err != nil || res.Error() != nil {
		t.Fatalf("create carol: %v %v", err, res)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "carol", "carol-secret"); err != nil {
		t.Fatalf("carol's first login: %v", err)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-512", "carol", "carol-secret"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("carol has no SCRAM-SHA-512 credential, login: %v", err)
	}
	d, err := adm.DescribeUserSCRAMs(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	wantCredInfos(t, d["carol"], kadm.CredInfo{Mechanism: kadm.ScramSha256, Iterations: 8192})

	// Change the password: the old one stops working.
	if res, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "carol", Mechanism: kadm.ScramSha256, Iterations: 16384, Password: "new-secret"}}); err != nil || res.Error() != nil {
		t.Fatalf("change password: %v %v", err, res)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "carol", "carol-secret"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("old password still works: %v", err)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "carol", "new-secret"); err != nil {
		t.Fatalf("new password: %v", err)
	}

	// Delete: login fails, a second delete is RESOURCE_NOT_FOUND.
	if res, err := adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "carol", Mechanism: kadm.ScramSha256}}, nil); err != nil || res.Error() != nil {
		t.Fatalf("delete: %v %v", err, res)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "carol", "new-secret"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("deleted user logged in: %v", err)
	}
	res, err = adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "carol", Mechanism: kadm.ScramSha256}}, nil)
	if err != nil || !errors.Is(res["carol"].Err, kerr.ResourceNotFound) || res["carol"].ErrMessage != "Attempt to delete a user credential that does not exist" {
		t.Fatalf("second delete: %v %+v", err, res["carol"])
	}
	d, err = adm.DescribeUserSCRAMs(ctx, "carol")
	if err != nil || !errors.Is(d["carol"].Err, kerr.ResourceNotFound) || d["carol"].ErrMessage != "Attempt to describe a user credential that does not exist: carol" {
		t.Fatalf("describe deleted: %v %+v", err, d["carol"])
	}
}

// TestScramAdminErrors sends raw requests for the per-user errors of
// KIP-554 that kadm validates away on the client side.
func TestScramAdminErrors(t *testing.T) {
	_, addr, _ := startSASL(t)
	ctx := testContext(t)
	cl := adminClient(t, addr)

	desc := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	for _, u := range []string{"alice", "alice", "nobody"} {
		desc.Users = append(desc.Users, kmsg.DescribeUserSCRAMCredentialsRequestUser{Name: u})
	}
	dr, err := desc.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]kmsg.DescribeUserSCRAMCredentialsResponseResult{}
	for _, r := range dr.Results {
		got[r.User] = r
	}
	if r := got["alice"]; len(dr.Results) != 2 || r.ErrorCode != kerr.DuplicateResource.Code || *r.ErrorMessage != "Cannot describe SCRAM credentials for the same user twice in a single request: alice" {
		t.Fatalf("duplicate describe: %+v", dr.Results)
	}
	if r := got["nobody"]; r.ErrorCode != kerr.ResourceNotFound.Code || *r.ErrorMessage != "Attempt to describe a user credential that does not exist: nobody" {
		t.Fatalf("unknown describe: %+v", r)
	}

	up := func(name string, mech int8, iters int32) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations = name, mech, iters
		u.Salt, u.SaltedPassword = []byte("salt"), make([]byte, 32)
		return u
	}
	del := func(name string, mech int8) kmsg.AlterUserSCRAMCredentialsRequestDeletion {
		return kmsg.AlterUserSCRAMCredentialsRequestDeletion{Name: name, Mechanism: mech}
	}
	alter := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	alter.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{del("bob", 1), del("ghost", 1), del("", 1), del("eve", 9)}
	alter.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
		up("bob", 2, 4096), up("few", 1, 1000), up("many", 2, 20000), up("ok", 1, 4096), up("twice", 1, 4096), up("twice", 2, 4096),
	}
	ar, err := alter.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		code int16
		msg  string
	}{
		"bob":   {kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request"},
		"ghost": {kerr.ResourceNotFound.Code, "Attempt to delete a user credential that does not exist"},
		"":      {kerr.UnacceptableCredential.Code, "Username must not be empty"},
		"eve":   {kerr.UnsupportedSaslMechanism.Code, "Unknown SCRAM mechanism"},
		"few":   {kerr.UnacceptableCredential.Code, "Too few iterations"},
		"many":  {kerr.UnacceptableCredential.Code, "Too many iterations"},
		"ok":    {0, ""},
		"twice": {kerr.DuplicateResource.Code, "A user credential cannot be altered twice in the same request"},
	}
	if len(ar.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(ar.Results), len(want), ar.Results)
	}
	for _, r := range ar.Results {
		w := want[r.User]
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		if r.ErrorCode != w.code || msg != w.msg {
			t.Errorf("user %q: %d %q, want %d %q", r.User, r.ErrorCode, msg, w.code, w.msg)
		}
	}
	// bob's deletion was cancelled by the duplicate: he still logs in.
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "bob", "bob-secret"); err != nil {
		t.Fatalf("bob: %v", err)
	}
}

// TestScramAdminSarama creates a user with sarama's ClusterAdmin and logs
// in with it through sarama.
func TestScramAdminSarama(t *testing.T) {
	_, addr, _ := startSASL(t)
	cfg := saramaConfig("PLAIN", "alice", "alice-secret")
	cfg.Version = sarama.V2_8_0_0
	adm, err := sarama.NewClusterAdmin([]string{addr}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	res, err := adm.UpsertUserScramCredentials([]sarama.AlterUserScramCredentialsUpsert{{
		Name: "dave", Mechanism: sarama.SCRAM_MECHANISM_SHA_512, Iterations: 4096, Password: []byte("dave-secret")}})
	if err != nil || len(res) != 1 || res[0].ErrorCode != sarama.ErrNoError {
		t.Fatalf("upsert: %v %+v", err, res)
	}
	desc, err := adm.DescribeUserScramCredentials([]string{"dave"})
	if err != nil || len(desc) != 1 || len(desc[0].CredentialInfos) != 1 || desc[0].CredentialInfos[0].Mechanism != sarama.SCRAM_MECHANISM_SHA_512 {
		t.Fatalf("describe: %v %+v", err, desc)
	}
	client, err := sarama.NewClient([]string{addr}, saramaConfig("SCRAM-SHA-512", "dave", "dave-secret"))
	if err != nil {
		t.Fatalf("dave's login: %v", err)
	}
	client.Close()
}

// TestScramSeedingAcrossRestarts checks the documented seeding semantics
// with a data directory: configured users are written once; changes made
// through the API survive restarts; users added to the configuration later
// are seeded at the next start.
func TestScramSeedingAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	start := func(extra ...minikafka.ScramUser) (*minikafka.Broker, string, *logBuffer) {
		logs := &logBuffer{}
		cfg := saslConfig(logs)
		cfg.DataDir = dir
		cfg.SASL.ScramUsers = append(cfg.SASL.ScramUsers, extra...)
		mb, err := minikafka.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := mb.Start(); err != nil {
			t.Fatal(err)
		}
		return mb, mb.BootstrapAddr(), logs
	}
	mb, addr, _ := start()
	ctx := context.Background()
	adm := kadm.NewClient(adminClient(t, addr))
	if res, err := adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "bob", Mechanism: kadm.ScramSha512}},
		[]kadm.UpsertSCRAM{{User: "alice", Mechanism: kadm.ScramSha256, Password: "changed"}}); err != nil || res.Error() != nil {
		t.Fatalf("alter: %v %v", err, res)
	}
	adm.Close()
	if err := mb.Close(); err != nil {
		t.Fatal(err)
	}

	mb, addr, logs := start(minikafka.ScramUser{Name: "erin", Mechanism: "SCRAM-SHA-256", Password: "erin-secret", Iterations: 5000})
	t.Cleanup(func() { _ = mb.Close() })
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "alice", "changed"); err != nil {
		t.Fatalf("alice's API password lost on restart: %v", err)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "alice", "alice-secret"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("configured password overwrote the API one: %v", err)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-512", "bob", "bob-secret"); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("bob's deleted credential came back: %v", err)
	}
	if err := scramLogin(t, addr, "SCRAM-SHA-256", "erin", "erin-secret"); err != nil {
		t.Fatalf("erin, added to the configuration, was not seeded: %v", err)
	}
	mustContain(t, "log", logs.String(), "SCRAM password in the configuration differs from the stored one")
	mustContain(t, "log", logs.String(), "SCRAM user from the configuration was deleted through AlterUserScramCredentials")
}

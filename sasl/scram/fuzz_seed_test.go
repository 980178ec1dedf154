package scram

// The committed seeds of FuzzClientFirst (testdata/fuzz/FuzzClientFirst):
// real client-first and client-final messages of the xdg-go/scram client
// (the one sarama and kafka-go use) against this server, with fixed
// nonces and salts so they are reproducible. Regenerate them with
//
//	go test ./sasl/scram -run TestClientFirstSeedCorpus -update

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	xscram "github.com/xdg-go/scram"

	"github.com/minikafka/minikafka/internal/fuzzseed"
	"github.com/minikafka/minikafka/sasl"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

// scramConversation runs a real exchange and returns the client's two
// messages (the second empty when the server refuses the first).
func scramConversation(t *testing.T, mech, user, pass, authzid string, ext string) (string, string) {
	t.Helper()
	h := xscram.SHA256
	if mech == sasl.ScramSHA512 {
		h = xscram.SHA512
	}
	cred, err := NewCredential(mech, "pw", []byte("fixed-salt-16byt"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	m := &Mechanism{name: mech, hash: h, nonce: func() string { return "server-nonce-0123456789" },
		lookup: func(context.Context, string, string) (Credential, bool, error) { return cred, true, nil }}
	client, err := h.NewClient(user, pass, authzid)
	if err != nil {
		t.Fatal(err)
	}
	conv := client.WithNonceGenerator(func() string { return "client-nonce-abcdef" }).NewConversation()
	first, err := conv.Step("")
	if err != nil {
		t.Fatal(err)
	}
	if ext != "" {
		first += "," + ext
	}
	sess := m.NewSession(sasl.ConnInfo{})
	serverFirst, _, err := sess.Step(context.Background(), []byte(first))
	if err != nil {
		return first, "" // refused at the first message (delegation tokens)
	}
	final, err := conv.Step(string(serverFirst))
	if err != nil {
		t.Fatal(err)
	}
	return first, final
}

func clientFirstSeeds(t *testing.T) map[string][]byte {
	seeds := map[string][]byte{}
	for _, mech := range []string{sasl.ScramSHA256, sasl.ScramSHA512} {
		for name, c := range map[string]struct{ user, pass, authzid, ext string }{
			"good":           {"alice", "pw", "", ""},
			"wrong-password": {"alice", "nope", "", ""},
			"escaped-name":   {"a,b=c", "pw", "", ""},
			"authzid":        {"alice", "pw", "alice", ""},
			"tokenauth":      {"alice", "pw", "", "tokenauth=true"},
		} {
			first, final := scramConversation(t, mech, c.user, c.pass, c.authzid, c.ext)
			seeds[fmt.Sprintf("seed-%s-%s", mech, name)] = fuzzseed.File(first, final)
		}
	}
	return seeds
}

// TestClientFirstSeedCorpus keeps testdata/fuzz/FuzzClientFirst/seed-*
// equal to clientFirstSeeds.
func TestClientFirstSeedCorpus(t *testing.T) {
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzClientFirst"), clientFirstSeeds(t), *update,
		"go test ./sasl/scram -run TestClientFirstSeedCorpus -update")
}

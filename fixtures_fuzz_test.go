package minikafka_test

// FuzzFixtures fuzzes the fixtures parser (minikafka.ParseFixtures) and
// what New does with a parsed file: no input panics, every parse error
// names the file, and a file that parses either configures a broker or is
// refused by New with an error. The committed seeds
// (testdata/fuzz/FuzzFixtures) are the documented example and fixtures as
// users write them; regenerate them with
//
//	go test . -run TestFixturesSeedCorpus -update

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/internal/fuzzseed"
)

const fuzzFixturesFile = "fuzz.yaml"

func FuzzFixtures(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		fx, err := minikafka.ParseFixtures([]byte(text), fuzzFixturesFile)
		if err != nil {
			if !strings.HasPrefix(err.Error(), fuzzFixturesFile) {
				t.Fatalf("parse error %q does not name the file", err)
			}
			return
		}
		if fx == nil {
			t.Fatal("ParseFixtures returned neither fixtures nor an error")
		}
		_ = fx.Summary()
		// Users become PLAIN-only here: deriving their SCRAM credentials
		// (PBKDF2, 4096+ iterations, sasl/scram's tests cover it) would cut
		// the fuzzer's pace a hundredfold without reaching other code.
		for i := range fx.Users {
			fx.Users[i].Mechanisms = []string{"PLAIN"}
		}
		mb, err := newFixturesBroker(fx)
		if err != nil {
			return
		}
		if err := mb.Close(); err != nil {
			t.Fatalf("Close of a broker that never started: %v", err)
		}
	})
}

// newFixturesBroker configures (does not start) a broker with one SASL
// listener, one PLAIN user and fx.
func newFixturesBroker(fx *minikafka.Fixtures) (*minikafka.Broker, error) {
	return minikafka.New(minikafka.Config{
		Listeners: []minikafka.Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}}},
		SASL:      minikafka.SASLConfig{PlainUsers: map[string]string{"admin": "admin-secret"}},
		Fixtures:  fx,
	})
}

// fixturesSeeds are fixtures as users write them, and some they get wrong.
func fixturesSeeds(t *testing.T) map[string]string {
	example, err := os.ReadFile(filepath.Join("docs", "fixtures.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"example": string(example),
		"small": `users:
  - {name: alice, password: alice-secret, mechanisms: [PLAIN, SCRAM-SHA-256], scram_iterations: 8192}
groups:
  ops: [alice]
topics:
  - {name: orders, partitions: 3, configs: {retention.ms: "60000", cleanup.policy: delete}}
super_users: ["User:admin"]
acls:
  - {principal: "Group:ops", operations: [read, describe], topic: "orders-", pattern: prefixed}
  - {principal: "User:alice", operations: [write], topic: orders, permission: deny, host: 10.0.0.1}
`,
		"oauth": `oauth_clients:
  - id: app
    secret: app-secret
    scopes: [kafka]
    claims: {groups: [team-a]}
allow_everyone_if_no_acl_found: true
`,
		"anchors": "users:\n  - &u {name: a, password: p}\n  - *u\n",
		"errors":  "users:\n  - name: a\n    scram_iterations: 100\ntopics:\n  - name: a/b\nacls:\n  - principal: alice\n",
		"empty":   "",
		"scalar":  "just text\n",
	}
}

// TestFixturesSeedCorpus keeps testdata/fuzz/FuzzFixtures/seed-* equal to
// fixturesSeeds, and checks the seeds parse the way they are meant to.
func TestFixturesSeedCorpus(t *testing.T) {
	seeds := fixturesSeeds(t)
	files := map[string][]byte{}
	for name, text := range seeds {
		files["seed-"+name] = fuzzseed.File(text)
	}
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzFixtures"), files, *updateSeeds, "go test . -run TestFixturesSeedCorpus -update")
	for name, text := range seeds {
		fx, err := minikafka.ParseFixtures([]byte(text), fuzzFixturesFile)
		wantErr := name == "errors" || name == "anchors" || name == "scalar"
		if wantErr != (err != nil) {
			t.Errorf("seed %s: ParseFixtures error %v", name, err)
		}
		if err != nil {
			continue
		}
		// The seeds that parse take the fuzzer through New as well.
		mb, err := newFixturesBroker(fx)
		if err != nil {
			t.Errorf("seed %s: New: %v", name, err)
			continue
		}
		if err := mb.Close(); err != nil {
			t.Errorf("seed %s: Close: %v", name, err)
		}
	}
}

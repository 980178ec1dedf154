package oauthbearer

// The committed seeds of FuzzParseClientInitialResponse
// (testdata/fuzz/FuzzParseClientInitialResponse): the client-first
// messages franz-go's OAUTHBEARER mechanism really sends, around the real
// tokens of the FuzzJWTValidate seeds. Regenerate them with
//
//	go test ./sasl/oauthbearer -run TestInitialResponseSeedCorpus -update

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/minikafka/minikafka/internal/fuzzseed"
)

func initialResponseSeeds(t *testing.T) map[string][]byte {
	t.Helper()
	tokens := jwtSeeds(loadFuzzKeys(t))
	cases := map[string]oauth.Auth{
		"franz-token":            {Token: tokens["valid-rs256"]},
		"franz-zid":              {Token: tokens["valid-eddsa"], Zid: "alice"},
		"franz-extensions":       {Token: tokens["valid-hs256-oct"], Extensions: map[string]string{"traceId": "abc-123", "logicalCluster": "lkc-1"}},
		"franz-unsecured":        {Token: tokens["unsecured-valid"]},
		"franz-garbage-token":    {Token: tokens["garbage"]},
		"franz-invalid-chars":    {Token: "!!!.@@@.###"},
		"franz-extension-spaces": {Token: tokens["valid-rs256"], Extensions: map[string]string{"key": "value with spaces"}},
	}
	seeds := map[string][]byte{}
	for name, a := range cases {
		_, first, err := oauth.Oauth(func(context.Context) (oauth.Auth, error) { return a, nil }).Authenticate(context.Background(), "broker:9092")
		if err != nil {
			t.Fatal(err)
		}
		seeds["seed-"+name] = fuzzseed.File(first)
	}
	return seeds
}

// TestInitialResponseSeedCorpus keeps
// testdata/fuzz/FuzzParseClientInitialResponse/seed-* equal to
// initialResponseSeeds, and checks that franz-go's messages parse.
func TestInitialResponseSeedCorpus(t *testing.T) {
	seeds := initialResponseSeeds(t)
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzParseClientInitialResponse"), seeds, *update,
		"go test ./sasl/oauthbearer -run TestInitialResponseSeedCorpus -update")
	tokens := jwtSeeds(loadFuzzKeys(t))
	_, first, _ := oauth.Oauth(func(context.Context) (oauth.Auth, error) {
		return oauth.Auth{Token: tokens["valid-rs256"], Zid: "alice", Extensions: map[string]string{"traceId": "x"}}, nil
	}).Authenticate(context.Background(), "")
	r, err := ParseClientInitialResponse(first)
	if err != nil || r.Token != tokens["valid-rs256"] || r.AuthorizationID != "alice" || r.Extensions["traceId"] != "x" {
		t.Fatalf("franz-go's message parsed as %+v, %v", r, err)
	}
}

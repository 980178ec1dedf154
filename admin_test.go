package minikafka

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/minikafka/minikafka/authorizer"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestReadiness walks /readyz through its states: not started, started
// with a JWKS that has no usable key (503 naming it), ready once the JWKS
// refresh brings a key (200 listing every check), and shutting down.
func TestReadiness(t *testing.T) {
	pub, err := jwk.FromRaw(testIssuerKey(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	_ = pub.Set(jwk.KeyIDKey, "k1")
	_ = pub.Set(jwk.AlgorithmKey, jwa.RS256)
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	good, _ := json.Marshal(set)
	var serveKeys atomic.Bool
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if serveKeys.Load() {
			_, _ = w.Write(good)
			return
		}
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	defer idp.Close()

	b, err := New(Config{
		Listeners: []Listener{
			{Name: "CLIENT", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}},
			{Name: "INTERNAL", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"},
		},
		AdminAddr:  "127.0.0.1:0",
		OAuth:      OAuthConfig{OAuthValidation: OAuthValidation{JWKSURL: idp.URL + "/jwks", JWKSRefresh: 20 * time.Millisecond}},
		Authorizer: AuthorizerConfig{Enabled: true, ACLs: []authorizer.ACL{AllowACL("User:alice", authorizer.OpRead, authorizer.ResourceTopic, "orders")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Ready(); err == nil || !strings.Contains(err.Error(), "listeners: not started") {
		t.Fatalf("before Start: Ready() = %v", err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + b.AdminAddr()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "FAIL jwks "+idp.URL+"/jwks: no usable key") ||
		!strings.Contains(body, "ok listeners: 2 of 2 bound") || !strings.Contains(body, "ok acls: 1 loaded") {
		t.Fatalf("/readyz with an empty JWKS: %d\n%s", code, body)
	}

	serveKeys.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, body = get(t, base+"/readyz"); code == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != 200 || !strings.Contains(body, "ok jwks "+idp.URL+"/jwks: 1 keys") || strings.Contains(body, "FAIL") {
		t.Fatalf("/readyz once the JWKS has a key: %d\n%s", code, body)
	}
	if err := b.Ready(); err != nil {
		t.Fatalf("Ready() = %v", err)
	}
	// The JWKS metrics are there and lint clean.
	s := scrape(t, b.AdminAddr())
	if s["minikafka_oauth_jwks_keys{url="+idp.URL+"/jwks}"] != 1 || s["minikafka_oauth_jwks_fetches_total{url="+idp.URL+"/jwks}"] < 2 ||
		s["minikafka_oauth_jwks_fetch_failures_total{url="+idp.URL+"/jwks}"] != 0 {
		t.Errorf("JWKS metrics: %v", s)
	}
	lintRegistry(t, b)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for path, h := range map[string]http.Handler{"/readyz": b.ReadyHandler(), "/healthz": b.HealthHandler()} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "shutting down") {
			t.Errorf("%s after Close: %d %q", path, rec.Code, rec.Body.String())
		}
	}
}

package oauth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minikafka/minikafka"
)

type idpInfo struct {
	Issuer        string `json:"issuer"`
	JWKSURI       string `json:"jwks_uri"`
	TokenEndpoint string `json:"token_endpoint"`
	Kid           string `json:"kid"`
}

// startIDP runs integration/js/idp.mjs (npm oidc-provider) on port (0:
// random) and returns what it printed once listening, and a stop function.
func startIDP(t *testing.T, port string) (idpInfo, func()) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required: %v", err)
	}
	dir, _ := filepath.Abs(filepath.Join("..", "js"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider")); err != nil {
		t.Fatalf("run `npm ci` in %s first (scripts/test.sh does): %v", dir, err)
	}
	cmd := exec.Command(node, "idp.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IDP_PORT="+port, "IDP_AUDIENCE=kafka-broker", "IDP_TTL=300")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() { // keep draining
		}
	}()
	select {
	case line, ok := <-lines:
		var info idpInfo
		if !ok || json.Unmarshal([]byte(line), &info) != nil || info.JWKSURI == "" {
			t.Fatalf("idp.mjs did not start: %q\n%s", line, stderr.String())
		}
		return info, stop
	case <-time.After(30 * time.Second):
		t.Fatalf("idp.mjs not ready after 30 s:\n%s", stderr.String())
	}
	return idpInfo{}, stop
}

// TestOIDCProviderRotation: tokens from a real OpenID provider are
// validated against its JWKS; the provider restarts with a new key and the
// broker follows without a restart.
func TestOIDCProviderRotation(t *testing.T) {
	idp, stop := startIDP(t, "0")
	b, lb := startBroker(t, func(c *minikafka.Config) {
		c.OAuth.Issuer.Enable = false
		c.OAuth.JWKSURL = idp.JWKSURI
		c.OAuth.ExpectedAudience = []string{"kafka-broker"}
		c.OAuth.ExpectedIssuer = idp.Issuer
	})
	addr := b.Addr(listenerName)
	ctx := ctxTimeout(t, 60*time.Second)
	tokenA := func(ctx context.Context) (string, error) {
		return fetchToken(ctx, idp.TokenEndpoint, "kafka-client-a", "secret-a", "kafka", false)
	}
	oldToken, err := tokenA(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := produceOne(ctx, franzClient(t, addr, tokenA), "oidc", "before rotation"); err != nil {
		t.Fatalf("produce with the first key: %v", err)
	}
	if len(lb.lines("msg=authenticated", "principal=User:kafka-client-a")) == 0 {
		t.Fatalf("no authentication of kafka-client-a:\n%s", lb.String())
	}

	// Restart the IdP on the same port: it has a new signing key.
	u, _ := url.Parse(idp.Issuer)
	_, port, _ := net.SplitHostPort(u.Host)
	stop()
	idp2, _ := startIDP(t, port)
	if idp2.Kid == idp.Kid || idp2.JWKSURI != idp.JWKSURI {
		t.Fatalf("no rotation: %+v then %+v", idp, idp2)
	}
	tokenB := func(ctx context.Context) (string, error) {
		return fetchToken(ctx, idp2.TokenEndpoint, "kafka-client-b", "secret-b", "", true) // client_secret_post
	}
	if err := produceOne(ctx, franzClient(t, addr, tokenB), "oidc", "after rotation"); err != nil {
		t.Fatalf("produce after the rotation: %v\n%s", err, lb.String())
	}
	if len(lb.lines("msg=authenticated", "principal=User:kafka-client-b")) == 0 {
		t.Fatalf("no authentication of kafka-client-b after the rotation:\n%s", lb.String())
	}
	if bad := lb.lines("token validation failed"); len(bad) != 0 {
		t.Fatalf("a token was rejected around the rotation: %v", bad)
	}
	// A token signed by the retired key is now refused, with its kid named.
	err = franzClient(t, addr, func(context.Context) (string, error) { return oldToken, nil }).Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "invalid_token") {
		t.Fatalf("old token: %v", err)
	}
	if len(lb.lines("level=WARN", "token validation failed", idp.Kid)) == 0 {
		t.Fatalf("the retired kid is not in the reason:\n%s", lb.String())
	}
}

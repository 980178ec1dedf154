package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minikafka/minikafka"
)

// bannerSection returns the indented lines that follow the first line of
// the banner containing title, without their indentation.
func bannerSection(t *testing.T, banner, title string) []string {
	t.Helper()
	lines := strings.Split(banner, "\n")
	for i, l := range lines {
		if !strings.Contains(l, title) {
			continue
		}
		var out []string
		for _, m := range lines[i+1:] {
			if !strings.HasPrefix(m, "    ") {
				break
			}
			out = append(out, strings.TrimSpace(m))
		}
		return out
	}
	t.Fatalf("no %q in the banner:\n%s", title, banner)
	return nil
}

// bannerLine returns the banner line starting (after spaces) with prefix.
func bannerLine(t *testing.T, banner, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(banner, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no line starting with %q in the banner:\n%s", prefix, banner)
	return ""
}

// TestBannerIsReadyToPaste starts the development default (on random
// ports) and uses what its banner prints, as printed: the kcat command,
// and the client.properties blocks (SCRAM and OAUTHBEARER) with the admin
// CLI.
func TestBannerIsReadyToPaste(t *testing.T) {
	cfg := minikafka.DevConfig()
	cfg.Listeners[0].Addr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	b, _ := minikafka.Start(t, minikafka.WithConfig(cfg))
	var buf bytes.Buffer
	printBanner(&buf, b, true, bannerUsers(true, nil), bannerClients(true, nil))
	banner := buf.String()
	for _, want := range []string{"minikafka is ready", "authorization on: 5 ACLs, super users User:admin", "users: admin/admin-secret alice/alice-secret bob/bob-secret",
		"mechanisms PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER", "/oauth/token  (development token issuer", "ACLs are on: admin is a super user"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	kcat := bannerLine(t, banner, "kcat -b "+b.BootstrapAddr()+" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-256")
	if out, err := exec.Command("bash", "-c", kcat).CombinedOutput(); err != nil || !strings.Contains(string(out), "1 brokers") {
		t.Fatalf("%s: %v\n%s", kcat, err, out)
	}
	dir := t.TempDir()
	for name, title := range map[string]string{
		"scram.properties": "client.properties (Kafka tools",
		"oauth.properties": "  client.properties:",
	} {
		props := bannerSection(t, banner, title)
		if len(props) < 3 {
			t.Fatalf("%s: %q", title, props)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(props, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := run(t, "topic", "list", "--bootstrap-server", b.BootstrapAddr(), "--command-config", path); err != nil {
			t.Fatalf("topic list with the banner's %s: %v\n%s", name, err, out)
		}
	}
	tokenCmd := strings.Fields(bannerLine(t, banner, "minikafka token "))
	if out, err := run(t, tokenCmd[1:]...); err != nil || strings.Count(out, ".") != 2 {
		t.Fatalf("%v: %v\n%s", tokenCmd, err, out)
	}
}

// TestBannerWithFixtures shows the fixtures' authorization, topics, users
// and OAuth client.
func TestBannerWithFixtures(t *testing.T) {
	fx, err := minikafka.LoadFixtures("../../docs/fixtures.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := minikafka.DevConfig()
	cfg.Listeners[0].Addr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.SASL.PlainUsers, cfg.SASL.ScramUsers, cfg.OAuth.Issuer.Clients = nil, nil, nil
	cfg.Authorizer = minikafka.AuthorizerConfig{}
	cfg.Fixtures = fx
	b, _ := minikafka.Start(t, minikafka.WithConfig(cfg))
	var buf bytes.Buffer
	printBanner(&buf, b, false, bannerUsers(false, fx), bannerClients(false, fx))
	banner := buf.String()
	for _, want := range []string{
		"authorization on: 10 ACLs, super users User:admin",
		"topics   orders payments",
		"OAuth clients of the development issuer: billing-service\n",
		"-X sasl.username=admin -X sasl.password=admin-secret",
		"--client-id billing-service --client-secret billing-secret",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
}

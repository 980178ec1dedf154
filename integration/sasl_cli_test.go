package integration

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcatArgs are the kcat (librdkafka 2.0.2) options for a SASL_PLAINTEXT login.
func kcatArgs(addr, mech, user, pass string) []string {
	return []string{"-b", addr, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=" + mech,
		"-X", "sasl.username=" + user, "-X", "sasl.password=" + pass}
}

func lookPath(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatalf("%s not installed (scripts/test.sh installs it)", names[0])
	return ""
}

// runUntil runs a command until a line of its combined output contains
// want (then kills it) or it exits; it returns the output seen.
func runUntil(t *testing.T, want string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), want) {
			_ = cmd.Process.Kill()
			break
		}
	}
	_ = cmd.Wait()
	pr.Close()
	return out.String()
}

// TestSASLKcat runs Debian's kcat (librdkafka 2.0.2: SaslHandshake v1 after
// ApiVersions, which needs handshake v0 advertised) over PLAIN and SCRAM:
// produce, consume, and a wrong password reported with Kafka's message.
// librdkafka < 2.7 sends the SCRAM client nonce twice; Kafka ≥ 3.8.1 and
// minikafka accept it.
func TestSASLKcat(t *testing.T) {
	kcat := lookPath(t, "kcat", "kafkacat")
	_, addr, _ := startSASL(t)
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			topic := "kcat-" + mech
			produce := exec.Command(kcat, append(kcatArgs(addr, mech, "alice", "alice-secret"), "-P", "-t", topic)...)
			produce.Stdin = strings.NewReader("hello over " + mech + "\n")
			if out, err := produce.CombinedOutput(); err != nil {
				t.Fatalf("kcat -P: %v\n%s", err, out)
			}
			out, err := exec.Command(kcat, append(kcatArgs(addr, mech, "alice", "alice-secret"), "-C", "-t", topic, "-o", "beginning", "-c", "1", "-e")...).CombinedOutput()
			if err != nil {
				t.Fatalf("kcat -C: %v\n%s", err, out)
			}
			mustContain(t, "kcat -C", string(out), "hello over "+mech)

			got := runUntil(t, "SASL authentication error", kcat, append(kcatArgs(addr, mech, "alice", "wrong"), "-L")...)
			mustContain(t, "kcat wrong password", got, "SASL authentication error: "+wrongPasswordMessage(mech))
		})
	}
}

// TestSASLKafkaPython runs Debian's kafka-python 2.0.2, which sends
// SaslHandshake v0 first and then raw, unframed SASL tokens. A wrong
// password closes the connection without a response, as Kafka does on
// that path (the client can only report that no broker is available).
func TestSASLKafkaPython(t *testing.T) {
	python := lookPath(t, "/usr/bin/python3", "python3")
	if out, err := exec.Command(python, "-c", "import kafka").CombinedOutput(); err != nil {
		t.Fatalf("kafka-python missing for %s (apt-get install python3-kafka): %v\n%s", python, err, out)
	}
	_, addr, logs := startSASL(t)
	createTopics(t, addr, "kp-PLAIN", "kp-SCRAM-SHA-256", "kp-SCRAM-SHA-512")
	t.Cleanup(func() { mustContain(t, "broker log", logs.String(), "authenticated") })
	for _, mech := range saslMechanisms {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			out, err := exec.Command(python, "testdata/kafka_python_sasl.py", addr, mech, "bob", "bob-secret", "kp-"+mech).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "OK hello over "+mech) {
				t.Fatalf("kafka-python: %v\n%s", err, out)
			}
			out, err = exec.Command(python, "testdata/kafka_python_sasl.py", addr, mech, "bob", "wrong", "kp-"+mech).CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "ERR NoBrokersAvailable") {
				t.Fatalf("kafka-python wrong password: %v\n%s", err, out)
			}
			mustContain(t, "broker log", logs.String(), "Failed authentication with 127.0.0.1 ("+wrongPasswordMessage(mech)+")")
		})
	}
}

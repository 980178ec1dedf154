package minikafka_test

import (
	"strings"
	"testing"

	"github.com/minikafka/minikafka"
)

func TestPropertiesApply(t *testing.T) {
	src := `# a Kafka server.properties
node.id=3
listeners=PLAINTEXT://127.0.0.1:9092,CLIENT://127.0.0.1:9093
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CLIENT:PLAINTEXT
advertised.listeners=PLAINTEXT://kafka.example:9092
num.partitions : 6
log.retention.ms 3600000
auto.create.topics.enable=FALSE
message.max.bytes=\
  2000000
no.such.key=1
`
	p, err := minikafka.ParseProperties(strings.NewReader(src), "server.properties")
	if err != nil {
		t.Fatal(err)
	}
	var cfg minikafka.Config
	warnings, err := p.Apply(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "server.properties:11:") || !strings.Contains(warnings[0], "no.such.key") {
		t.Fatalf("warnings = %q", warnings)
	}
	if cfg.NodeID != 3 || cfg.NumPartitions != 6 || cfg.RetentionMs != 3600000 || !cfg.DisableAutoCreateTopics || cfg.MessageMaxBytes != 2000000 {
		t.Fatalf("cfg = %+v", cfg)
	}
	if len(cfg.Listeners) != 2 || cfg.Listeners[0].Advertised != "kafka.example:9092" || cfg.Listeners[1].Name != "CLIENT" || cfg.Listeners[1].SecurityProtocol != "PLAINTEXT" {
		t.Fatalf("listeners = %+v", cfg.Listeners)
	}
}

func TestPropertiesErrorsNameFileLine(t *testing.T) {
	cases := map[string]struct {
		src  string
		want string
	}{
		"bad integer":        {"node.id=1\nnum.partitions=lots\n", "server.properties:2: num.partitions: invalid integer"},
		"bad boolean":        {"auto.create.topics.enable=yes\n", "server.properties:1: auto.create.topics.enable: invalid boolean"},
		"listener no port":   {"listeners=PLAINTEXT://localhost\n", "server.properties:1: listeners:"},
		"unmapped listener":  {"listeners=FOO://127.0.0.1:1\n", "no entry in listener.security.protocol.map"},
		"bad protocol map":   {"listeners=A://127.0.0.1:1\nlistener.security.protocol.map=A\n", "server.properties:2: listener.security.protocol.map"},
		"sasl without mechs": {"listeners=SASL_PLAINTEXT://127.0.0.1:1\n", "no SASL mechanism is enabled"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := minikafka.ParseProperties(strings.NewReader(tc.src), "server.properties")
			if err != nil {
				t.Fatal(err)
			}
			var cfg minikafka.Config
			_, err = p.Apply(&cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

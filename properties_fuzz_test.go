package minikafka_test

// FuzzProperties fuzzes the properties parser and every property section
// (minikafka.ParseProperties, then Properties.Apply): no input panics, and
// every error and warning names the file, as the rule is that a bad
// configuration is reported at file:line. The committed seeds
// (testdata/fuzz/FuzzProperties) are real configurations in Kafka's keys;
// regenerate them with
//
//	go test . -run TestPropertiesSeedCorpus -update

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/internal/fuzzseed"
)

var updateSeeds = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

const fuzzPropertiesFile = "fuzz.properties"

// readsFiles reports whether applying p would read a file (key stores,
// CA files, ...): the fuzzer must not make the test read /dev/zero.
func readsFiles(p *minikafka.Properties) bool {
	for _, k := range p.Keys() {
		if strings.Contains(k, "location") || strings.Contains(k, "file") {
			return true
		}
	}
	return false
}

func FuzzProperties(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		p, err := minikafka.ParseProperties(strings.NewReader(text), fuzzPropertiesFile)
		if err != nil {
			if !strings.HasPrefix(err.Error(), fuzzPropertiesFile) {
				t.Fatalf("parse error %q does not name the file", err)
			}
			return
		}
		if readsFiles(p) {
			return
		}
		var cfg minikafka.Config
		warnings, err := p.Apply(&cfg)
		if err != nil {
			if !strings.Contains(err.Error(), fuzzPropertiesFile) {
				t.Fatalf("apply error %q does not name the file", err)
			}
			return
		}
		for _, w := range warnings {
			if !strings.HasPrefix(w, fuzzPropertiesFile) {
				t.Fatalf("warning %q does not name the file", w)
			}
		}
	})
}

// propertiesSeeds are configurations as users write them.
var propertiesSeeds = map[string]string{
	"kafka-kraft-sample": `# Kafka's KRaft server.properties, single node
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`,
	"sasl-plain-scram": `listeners=SASL_PLAINTEXT://127.0.0.1:9092
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \
    user_admin="admin-secret" \
    user_alice="alice-secret";
minikafka.scram.users=SCRAM-SHA-512=[name=alice,password=alice-secret,iterations=8192]
sasl.server.max.receive.size=524288
connection.failed.authentication.delay.ms=100
connections.max.reauth.ms=3600000
`,
	"authorizer": `listeners=SASL_PLAINTEXT://127.0.0.1:9092
sasl.enabled.mechanisms=PLAIN
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:CN=broker,O=Example;Group:ops
allow.everyone.if.no.acl.found=false
minikafka.acl.1.principal=User:alice
minikafka.acl.1.operation=READ,DESCRIBE
minikafka.acl.1.resource.type=TOPIC
minikafka.acl.1.resource.name=orders-
minikafka.acl.1.pattern.type=PREFIXED
minikafka.acl.1.permission=ALLOW
minikafka.acl.1.host=*
`,
	"oauthbearer": `listeners=SASL_PLAINTEXT://127.0.0.1:9092
sasl.enabled.mechanisms=OAUTHBEARER
listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;
sasl.oauthbearer.jwks.endpoint.url=https://idp.example.com/realms/kafka/protocol/openid-connect/certs
sasl.oauthbearer.expected.audience=kafka,account
sasl.oauthbearer.expected.issuer=https://idp.example.com/realms/kafka
sasl.oauthbearer.sub.claim.name=preferred_username
sasl.oauthbearer.clock.skew.seconds=30
minikafka.oauthbearer.allowed.algorithms=RS256,ES256
minikafka.oauthbearer.failure.reason=true
minikafka.oauth.issuer.enable=true
minikafka.oauth.issuer.client.app.secret=app-secret
minikafka.oauth.issuer.client.app.claims.groups=kafka-producers,team-a
`,
	"groups-ldap": `minikafka.groups.resolvers=ldap,jwt
minikafka.groups.failure.policy=strict
minikafka.groups.ldap.url=ldaps://ldap.example.com
minikafka.groups.ldap.bind.dn=cn=kafka-broker,ou=services,dc=example,dc=com
minikafka.groups.ldap.bind.password=broker-secret
minikafka.groups.ldap.user.base.dn=ou=people,dc=example,dc=com
minikafka.groups.ldap.nested=true
minikafka.groups.jwt.claim=realm_access.roles
minikafka.principal.sasl.name.rules=RULE:^(.*)@EXAMPLE\\.COM$/$1/L,DEFAULT
ssl.principal.mapping.rules=RULE:^CN=([^,]*),.*$/$1/,DEFAULT
`,
	"limits-and-groups": `listeners=PLAINTEXT://127.0.0.1:9092
max.connections=1000
max.connections.per.ip=100
connections.max.idle.ms=600000
message.max.bytes=1048588
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=6000
group.max.session.timeout.ms=1800000
offsets.retention.minutes=10080
transaction.max.timeout.ms=900000
auto.create.topics.enable=false
delete.topic.enable=true
`,
	"missing-key": "=novalue\n",
	"syntax":      "# comment\n! another\nkey\\ with\\ spaces : value\\u00e9\ncontinued = a \\\n   b\n  \tindented=1\nempty=\n",
	"errors":      "num.partitions=lots\nlisteners=FOO://127.0.0.1:1\nsuper.users=User\n",
}

// TestPropertiesSeedCorpus keeps testdata/fuzz/FuzzProperties/seed-*
// equal to propertiesSeeds.
func TestPropertiesSeedCorpus(t *testing.T) {
	files := map[string][]byte{}
	for name, text := range propertiesSeeds {
		files["seed-"+name] = fuzzseed.File(text)
	}
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzProperties"), files, *updateSeeds, "go test . -run TestPropertiesSeedCorpus -update")
	for name, text := range propertiesSeeds {
		p, err := minikafka.ParseProperties(strings.NewReader(text), fuzzPropertiesFile)
		if err == nil {
			var cfg minikafka.Config
			_, err = p.Apply(&cfg)
		}
		if (name == "errors" || name == "missing-key") != (err != nil) {
			t.Errorf("seed %s: Apply error %v", name, err)
		}
	}
}

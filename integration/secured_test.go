package integration

// Every client's produce/consume round trip over SASL_SSL with
// SCRAM-SHA-512 — against the binary, or against the external cluster of
// the bridge, whatever its security. This is what proves the per-client
// security settings derived from a Cluster, which the bridge relies on.

import (
	"path/filepath"
	"testing"
)

// securedUser is the SCRAM-SHA-512 user of securedCluster's binary.
const (
	securedUser     = "it-client"
	securedPassword = "it-client-secret"
)

// securedCluster is the external cluster when the environment names one,
// else the minikafka binary with one SASL_SSL listener (the committed test
// PKI, testdata/certs) where securedUser logs in with SCRAM-SHA-512.
func securedCluster(t *testing.T) *Cluster {
	t.Helper()
	if c := externalCluster(t); c != nil {
		return c
	}
	certs, err := filepath.Abs(filepath.Join("testdata", "certs"))
	if err != nil {
		t.Fatal(err)
	}
	b := startBinary(t, BinaryConfig{
		Listeners: []ListenerSpec{{Name: "SASL_SSL"}},
		Properties: []string{
			"ssl.keystore.type=PEM",
			"ssl.keystore.location=" + filepath.Join(certs, "server-keystore.pem"),
			"sasl.enabled.mechanisms=SCRAM-SHA-512",
			"minikafka.scram.users=SCRAM-SHA-512=[name=" + securedUser + ",password=" + securedPassword + "]",
		},
	})
	return &Cluster{
		Bootstrap:        b.Addr(t, "SASL_SSL"),
		SecurityProtocol: "SASL_SSL",
		Mechanism:        "SCRAM-SHA-512",
		User:             securedUser,
		Password:         securedPassword,
		CAFile:           filepath.Join(certs, "ca.pem"),
		Binary:           b,
	}
}

func TestSecuredRoundTrip(t *testing.T) {
	c := securedCluster(t)
	roundTrips := map[string]func(*testing.T, *Cluster){
		"franz-go":           roundTripKgo,
		"sarama":             roundTripSarama,
		"kafka-go":           roundTripKafkaGo,
		"kcat":               roundTripKcat,
		"kafkajs":            roundTripKafkaJS,
		"kafka-python":       roundTripKafkaPython,
		"confluent-kafka-go": roundTripConfluent,
	}
	for name, rt := range roundTrips {
		t.Run(name, func(t *testing.T) { rt(t, c) })
	}
}

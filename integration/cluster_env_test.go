package integration

import (
	"strings"
	"testing"
)

// TestClusterFromEnv checks how the bridge reads MINIKAFKA_TEST_*: the
// security protocol defaults from the mechanism and CA, and a broken
// environment is an error naming the variable.
func TestClusterFromEnv(t *testing.T) {
	cases := map[string]struct {
		env     map[string]string
		want    *Cluster // nil with wantErr "": no external cluster
		wantErr string
	}{
		"unset": {env: map[string]string{}},
		"plaintext": {
			env:  map[string]string{envBootstrap: "k1:9092,k2:9092"},
			want: &Cluster{Bootstrap: "k1:9092,k2:9092", SecurityProtocol: "PLAINTEXT"},
		},
		"mechanism implies SASL_PLAINTEXT": {
			env:  map[string]string{envBootstrap: "k:9092", envSASLMechanism: "scram-sha-512", envSASLUser: "u", envSASLPassword: "p"},
			want: &Cluster{Bootstrap: "k:9092", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "SCRAM-SHA-512", User: "u", Password: "p"},
		},
		"mechanism and CA imply SASL_SSL": {
			env:  map[string]string{envBootstrap: "k:9093", envSASLMechanism: "PLAIN", envSASLUser: "u", envTLSCA: "/ca.pem"},
			want: &Cluster{Bootstrap: "k:9093", SecurityProtocol: "SASL_SSL", Mechanism: "PLAIN", User: "u", CAFile: "/ca.pem"},
		},
		"CA implies SSL": {
			env:  map[string]string{envBootstrap: "k:9093", envTLSCA: "/ca.pem"},
			want: &Cluster{Bootstrap: "k:9093", SecurityProtocol: "SSL", CAFile: "/ca.pem"},
		},
		"explicit protocol wins": {
			env:  map[string]string{envBootstrap: "k:9093", envSecurityProtocol: "ssl"},
			want: &Cluster{Bootstrap: "k:9093", SecurityProtocol: "SSL"},
		},
		"unknown protocol": {
			env:     map[string]string{envBootstrap: "k:9092", envSecurityProtocol: "TLS"},
			wantErr: envSecurityProtocol,
		},
		"SASL without mechanism": {
			env:     map[string]string{envBootstrap: "k:9092", envSecurityProtocol: "SASL_PLAINTEXT", envSASLUser: "u"},
			wantErr: envSASLMechanism,
		},
		"unsupported mechanism": {
			env:     map[string]string{envBootstrap: "k:9092", envSASLMechanism: "GSSAPI", envSASLUser: "u"},
			wantErr: envSASLMechanism,
		},
		"SASL without user": {
			env:     map[string]string{envBootstrap: "k:9092", envSASLMechanism: "PLAIN"},
			wantErr: envSASLUser,
		},
		"mechanism on a protocol without SASL": {
			env:     map[string]string{envBootstrap: "k:9092", envSecurityProtocol: "PLAINTEXT", envSASLMechanism: "PLAIN"},
			wantErr: envSASLMechanism,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := clusterFromEnv(func(k string) string { return tc.env[k] })
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == nil && got != nil:
				t.Fatalf("got cluster %+v, want none", got)
			case tc.want != nil && (got == nil || *got != *tc.want):
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

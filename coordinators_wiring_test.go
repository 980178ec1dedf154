package minikafka_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka"
)

func joinWithSession(t *testing.T, addr string, session time.Duration) int16 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group = "short-sessions"
	req.SessionTimeoutMillis = int32(session / time.Millisecond)
	req.RebalanceTimeoutMillis = 5000
	req.ProtocolType = "consumer"
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 0, 0, 0}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.ErrorCode
}

func TestGroupPropertiesReachTheCoordinator(t *testing.T) {
	props, err := minikafka.ParseProperties(strings.NewReader(
		"group.min.session.timeout.ms=500\ngroup.max.session.timeout.ms=60000\noffsets.retention.minutes=60\ntransaction.max.timeout.ms=30000\n"), "groups.properties")
	if err != nil {
		t.Fatal(err)
	}
	var cfg minikafka.Config
	warnings, err := props.Apply(&cfg)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("apply: %v %v", err, warnings)
	}
	want := minikafka.CoordinatorConfig{MinSessionTimeout: 500 * time.Millisecond, MaxSessionTimeout: time.Minute,
		OffsetsRetention: time.Hour, TransactionMaxTimeout: 30 * time.Second}
	if cfg.Coordinators != want {
		t.Fatalf("coordinator config %+v, want %+v", cfg.Coordinators, want)
	}
	_, addr := minikafka.Start(t, minikafka.WithConfig(cfg))
	// Accepted: the v9 join goes on to ask for a member id.
	if code := joinWithSession(t, addr, time.Second); code != kerr.MemberIDRequired.Code {
		t.Fatalf("1 s session with group.min.session.timeout.ms=500: %v, want MEMBER_ID_REQUIRED", kerr.ErrorForCode(code))
	}
	_, defAddr := minikafka.Start(t)
	if code := joinWithSession(t, defAddr, time.Second); code != kerr.InvalidSessionTimeout.Code {
		t.Fatalf("1 s session with Kafka's defaults: %v, want INVALID_SESSION_TIMEOUT", kerr.ErrorForCode(code))
	}

	bad, _ := minikafka.ParseProperties(strings.NewReader("transaction.max.timeout.ms=soon\n"), "bad.properties")
	if _, err := bad.Apply(&cfg); err == nil || !strings.Contains(err.Error(), "bad.properties:1") {
		t.Fatalf("malformed value: %v, want an error naming bad.properties:1", err)
	}
}

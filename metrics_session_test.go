package minikafka

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// The scripted session: one secured broker, real clients (franz-go) over
// real sockets for good and bad logins on every mechanism and for allowed
// and denied requests, a raw Kafka client with the broker's injected clock
// for a KIP-368 re-authentication, a refused one and an expired session.
// After each step the metrics are scraped from /metrics and every
// security counter must have moved by exactly the expected amount, and
// nothing else of them.

// watched are the families whose every change a step must predict.
var watched = []string{
	"minikafka_authentications_total",
	"minikafka_reauthentications_total",
	"minikafka_expired_connections_killed_total",
	"minikafka_authorization_decisions_total",
	"minikafka_connections_total",
	"minikafka_connections_rejected_total",
	"minikafka_records_in_total",
	"minikafka_offset_commits_total",
	"minikafka_group_resolutions_total",
}

type sample map[string]float64 // "family{k=v,...}" -> value

// scrape reads the broker's /metrics over HTTP.
func scrape(t *testing.T, admin string) sample {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	out := sample{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[seriesKey(name, m)] = metricValue(mf.GetType(), m)
		}
	}
	return out
}

func seriesKey(name string, m *dto.Metric) string {
	var ls []string
	for _, lp := range m.GetLabel() {
		ls = append(ls, lp.GetName()+"="+lp.GetValue())
	}
	sort.Strings(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

func metricValue(typ dto.MetricType, m *dto.Metric) float64 {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

// diff returns the changes of the watched families between two samples.
func diff(before, after sample) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		fam, _, _ := strings.Cut(k, "{")
		watchedFam := false
		for _, w := range watched {
			watchedFam = watchedFam || fam == w
		}
		if watchedFam && v != before[k] {
			out[k] = v - before[k]
		}
	}
	return out
}

// session drives the steps and checks each one's exact effect.
type session struct {
	t     *testing.T
	admin string
	last  sample
}

func (s *session) step(name string, want map[string]float64, do func(t *testing.T)) {
	s.t.Helper()
	ok := s.t.Run(name, func(t *testing.T) {
		do(t)
		// A connection's close (and its accounting) follows the client's
		// close asynchronously: poll until the counters settle on the
		// expected values, then report the difference if they never do.
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := diff(s.last, scrape(t, s.admin))
			if equalDiff(got, want) || time.Now().After(deadline) {
				if !equalDiff(got, want) {
					t.Errorf("metric changes:\n%s\nwant exactly:\n%s", fmtDiff(got), fmtDiff(want))
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	s.last = scrape(s.t, s.admin)
	if !ok {
		s.t.FailNow()
	}
}

func equalDiff(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func fmtDiff(d map[string]float64) string {
	var lines []string
	for k, v := range d {
		lines = append(lines, fmt.Sprintf("  %+g %s", v, k))
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return "  (none)"
	}
	return strings.Join(lines, "\n")
}

// tokenFromEndpoint runs the client-credentials grant against the
// development issuer on the admin listener.
func tokenFromEndpoint(t *testing.T, admin, id, secret string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest(http.MethodPost, "http://"+admin+issuerTokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("token endpoint: %s %v", resp.Status, err)
	}
	return body.AccessToken
}

// kgoRequest opens a franz-go client with mech, sends req straight to the
// broker (no metadata lookup, no retry) and closes the client.
func kgoRequest(t *testing.T, addr string, mech sasl.Mechanism, req kmsg.Request) (kmsg.Response, error) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.SASL(mech), kgo.RequestRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return cl.SeedBrokers()[0].Request(ctx, req)
}

func produceReq(topic string, n int) *kmsg.ProduceRequest {
	recs := make([]batchtest.Rec, n)
	for i := range recs {
		recs[i] = batchtest.Rec{Timestamp: int64(1000 + i), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batchtest.Build(recs, batchtest.Options{})
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

func TestScriptedSessionMetrics(t *testing.T) {
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	fx, err := ParseFixtures([]byte(`
users:
  - {name: admin, password: admin-secret}
  - {name: alice, password: alice-secret}
oauth_clients:
  - {id: svc, secret: svc-secret}
groups:
  alice: [developers]
topics:
  - {name: allowed, partitions: 1}
  - {name: denied, partitions: 1}
super_users: [User:admin]
acls:
  - {principal: Group:developers, operations: [write, describe], topic: allowed}
  - {principal: User:alice, operations: [describe], topic: denied}
  - {principal: User:svc, operations: [write], topic: allowed}
`), "session.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{
		Listeners: []Listener{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT",
			Mechanisms: []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}}},
		AdminAddr: "127.0.0.1:0",
		OAuth:     OAuthConfig{Issuer: OAuthIssuerConfig{Enable: true, Key: testIssuerKey(t)}},
		SASL:      SASLConfig{FailedAuthenticationDelay: -1, MaxReauth: 10 * time.Minute},
		Now:       clock.Now,
		Fixtures:  fx,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	addr, admin := b.Addr("SASL"), b.AdminAddr()
	s := &session{t: t, admin: admin, last: scrape(t, admin)}

	const L = "SASL"
	authOK := func(mech string) string {
		return "minikafka_authentications_total{listener=SASL,mechanism=" + mech + ",reason=,result=success}"
	}
	authFail := func(mech, reason string) string {
		return "minikafka_authentications_total{listener=SASL,mechanism=" + mech + ",reason=" + reason + ",result=failure}"
	}
	decision := func(op, rt, d string) string {
		return "minikafka_authorization_decisions_total{decision=" + d + ",operation=" + op + ",resource_type=" + rt + "}"
	}
	conns := "minikafka_connections_total{listener=" + L + "}"
	resolved := "minikafka_group_resolutions_total{listener=" + L + ",result=ok}"

	good := map[string]sasl.Mechanism{
		"PLAIN":         plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism(),
		"SCRAM-SHA-256": scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha256Mechanism(),
		"SCRAM-SHA-512": scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism(),
	}
	bad := map[string]sasl.Mechanism{
		"PLAIN":         plain.Auth{User: "alice", Pass: "wrong"}.AsMechanism(),
		"SCRAM-SHA-256": scram.Auth{User: "alice", Pass: "wrong"}.AsSha256Mechanism(),
		"SCRAM-SHA-512": scram.Auth{User: "nobody", Pass: "wrong"}.AsSha512Mechanism(),
	}
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		s.step("good login "+mech, map[string]float64{authOK(mech): 1, conns: 1, resolved: 1}, func(t *testing.T) {
			if _, err := kgoRequest(t, addr, good[mech], kmsg.NewPtrApiVersionsRequest()); err != nil {
				t.Fatal(err)
			}
		})
		s.step("bad login "+mech, map[string]float64{authFail(mech, "invalid_credentials"): 1, conns: 1}, func(t *testing.T) {
			if _, err := kgoRequest(t, addr, bad[mech], kmsg.NewPtrApiVersionsRequest()); err == nil || !strings.Contains(err.Error(), "SASL_AUTHENTICATION_FAILED") {
				t.Fatalf("bad %s login: %v", mech, err)
			}
		})
	}
	s.step("good login OAUTHBEARER (token endpoint)", map[string]float64{authOK("OAUTHBEARER"): 1, conns: 1, resolved: 1}, func(t *testing.T) {
		tok := tokenFromEndpoint(t, admin, "svc", "svc-secret")
		mech := oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: tok}, nil })
		if _, err := kgoRequest(t, addr, mech, kmsg.NewPtrApiVersionsRequest()); err != nil {
			t.Fatal(err)
		}
	})
	// An expired token: the broker answers with Kafka's error challenge;
	// franz-go closes instead of acknowledging it.
	s.step("bad login OAUTHBEARER (expired token)", map[string]float64{authFail("OAUTHBEARER", "invalid_credentials"): 1, conns: 1}, func(t *testing.T) {
		tok := mint(t, b, "svc", -time.Hour)
		mech := oauth.Oauth(func(context.Context) (oauth.Auth, error) { return oauth.Auth{Token: tok}, nil })
		if _, err := kgoRequest(t, addr, mech, kmsg.NewPtrApiVersionsRequest()); err == nil {
			t.Fatal("expired token accepted")
		}
	})
	s.step("unsupported mechanism", map[string]float64{authFail("", "unsupported_mechanism"): 1, conns: 1}, func(t *testing.T) {
		c := dialRaw(t, addr)
		hs := c.handshake("GSSAPI")
		if hs.ErrorCode != 33 {
			t.Fatalf("handshake error %d, want 33", hs.ErrorCode)
		}
		expectClosed(t, c.metadata())
	})

	alice := good["SCRAM-SHA-512"]
	s.step("allowed produce", map[string]float64{
		authOK("SCRAM-SHA-512"): 1, conns: 1, resolved: 1,
		decision("WRITE", "TOPIC", "allow"):         1,
		"minikafka_records_in_total{topic=allowed}": 3,
	}, func(t *testing.T) {
		resp, err := kgoRequest(t, addr, alice, produceReq("allowed", 3))
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; code != 0 {
			t.Fatalf("produce: error %d", code)
		}
	})
	s.step("denied produce", map[string]float64{
		authOK("SCRAM-SHA-512"): 1, conns: 1, resolved: 1,
		decision("WRITE", "TOPIC", "deny"): 1,
	}, func(t *testing.T) {
		resp, err := kgoRequest(t, addr, alice, produceReq("denied", 2))
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; code != 29 {
			t.Fatalf("produce: error %d, want 29 TOPIC_AUTHORIZATION_FAILED", code)
		}
	})
	s.step("denied topic creation", map[string]float64{
		authOK("PLAIN"): 1, conns: 1, resolved: 1,
		decision("CREATE", "CLUSTER", "deny"): 1,
		decision("CREATE", "TOPIC", "deny"):   1,
	}, func(t *testing.T) {
		req := kmsg.NewPtrCreateTopicsRequest()
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "new-topic", 1, 1
		req.Topics = append(req.Topics, rt)
		resp, err := kgoRequest(t, addr, good["PLAIN"], req)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode; code != 29 {
			t.Fatalf("create topic: error %d, want 29", code)
		}
	})
	s.step("super user creates a topic", map[string]float64{
		authOK("SCRAM-SHA-256"): 1, conns: 1, resolved: 1,
		decision("CREATE", "CLUSTER", "allow"):         1,
		decision("DESCRIBE_CONFIGS", "TOPIC", "allow"): 1,
	}, func(t *testing.T) {
		req := kmsg.NewPtrCreateTopicsRequest()
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "new-topic", 1, 1
		req.Topics = append(req.Topics, rt)
		resp, err := kgoRequest(t, addr, scram.Auth{User: "admin", Pass: "admin-secret"}.AsSha256Mechanism(), req)
		if err != nil {
			t.Fatal(err)
		}
		if code := resp.(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode; code != 0 {
			t.Fatalf("create topic: error %d", code)
		}
	})

	// KIP-368 with the raw client and the broker's clock.
	var c *rawConn
	s.step("login for re-authentication", map[string]float64{authOK("OAUTHBEARER"): 1, conns: 1, resolved: 1}, func(t *testing.T) {
		c = dialRaw(s.t, addr) // lives across steps
		c.t = t
		if got := c.login(mint(t, b, "svc", time.Hour)); got != 600_000 {
			t.Fatalf("session lifetime %d, want connections.max.reauth.ms", got)
		}
	})
	s.step("re-authentication", map[string]float64{
		"minikafka_reauthentications_total{listener=SASL,mechanism=OAUTHBEARER,reason=,result=success}": 1, resolved: 1,
	}, func(t *testing.T) {
		c.t = t
		clock.Add(5 * time.Minute)
		if got := c.login(mint(t, b, "svc", time.Hour)); got != 600_000 {
			t.Fatalf("re-authentication lifetime %d", got)
		}
	})
	s.step("expired session", map[string]float64{"minikafka_expired_connections_killed_total{listener=SASL}": 1}, func(t *testing.T) {
		clock.Add(11 * time.Minute)
		expectClosed(t, c.metadata())
	})
	s.step("re-authentication as someone else", map[string]float64{
		authOK("OAUTHBEARER"): 1, conns: 1, resolved: 2,
		"minikafka_reauthentications_total{listener=SASL,mechanism=OAUTHBEARER,reason=principal_changed,result=failure}": 1,
	}, func(t *testing.T) {
		c := dialRaw(t, addr)
		c.login(mint(t, b, "svc", time.Hour))
		clock.Add(2 * time.Second)
		if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 0 {
			t.Fatalf("handshake error %d", hs.ErrorCode)
		}
		if a := c.authenticate(oauthCIR(mint(t, b, "alice", time.Hour))); a.ErrorCode != 58 {
			t.Fatalf("re-authentication as alice: error %d, want 58", a.ErrorCode)
		}
		expectClosed(t, c.metadata())
	})

	// The ACL gauge and the lint of everything this session gathered.
	final := scrape(t, admin)
	if got := final["minikafka_acls{}"]; got != float64(len(fx.ACLs)) || got != 4 {
		t.Errorf("minikafka_acls = %v, want 4", got)
	}
	lintRegistry(t, b)
}

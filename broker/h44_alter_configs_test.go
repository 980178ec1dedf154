package broker

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

type iop struct {
	name  string
	op    kmsg.IncrementalAlterConfigOp
	value *string
}

func set(name, v string) iop  { return iop{name, kmsg.IncrementalAlterConfigOpSet, strp(v)} }
func del(name string) iop     { return iop{name, kmsg.IncrementalAlterConfigOpDelete, nil} }
func app(name, v string) iop  { return iop{name, kmsg.IncrementalAlterConfigOpAppend, strp(v)} }
func subt(name, v string) iop { return iop{name, kmsg.IncrementalAlterConfigOpSubtract, strp(v)} }

func incResource(rt kmsg.ConfigResourceType, name string, ops ...iop) kmsg.IncrementalAlterConfigsRequestResource {
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = rt, name
	for _, o := range ops {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Op, c.Value = o.name, o.op, o.value
		r.Configs = append(r.Configs, c)
	}
	return r
}

func incReq(validateOnly bool, rs ...kmsg.IncrementalAlterConfigsRequestResource) *kmsg.IncrementalAlterConfigsRequest {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.Resources, req.ValidateOnly = rs, validateOnly
	return req
}

func topicConfigs(b *Broker, name string) map[string]string { return b.topics.get(name).configs() }

func TestIncrementalAlterConfigs(t *testing.T) {
	z := newRules("ALTER_CONFIGS Topic:secret", "ALTER_CONFIGS Topic:missing-secret", "ALTER_CONFIGS Group:g")
	b, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	createTopic(t, cl, "orders", 1, map[string]string{"segment.ms": "100000"})
	createTopic(t, cl, "secret", 1, nil)
	raw := dialRaw(t, addr)
	topic := func(ops ...iop) kmsg.IncrementalAlterConfigsRequestResource {
		return incResource(kmsg.ConfigResourceTypeTopic, "orders", ops...)
	}
	type result struct {
		code int16
		msg  string
	}
	steps := []struct {
		name string
		req  *kmsg.IncrementalAlterConfigsRequest
		want []result
		cfg  map[string]string // the topic's explicit configs afterwards
	}{
		{"set", incReq(false, topic(set("retention.ms", " 5000 "))), []result{{0, "<nil>"}},
			map[string]string{"segment.ms": "100000", "retention.ms": "5000"}},
		{"append to the default list", incReq(false, topic(app("cleanup.policy", "compact"))), []result{{0, "<nil>"}},
			map[string]string{"segment.ms": "100000", "retention.ms": "5000", "cleanup.policy": "delete,compact"}},
		{"subtract", incReq(false, topic(subt("cleanup.policy", "delete"))), []result{{0, "<nil>"}},
			map[string]string{"segment.ms": "100000", "retention.ms": "5000", "cleanup.policy": "compact"}},
		{"delete", incReq(false, topic(del("retention.ms"), del("not.set.anyway.ms"))), []result{{0, "<nil>"}},
			map[string]string{"segment.ms": "100000", "cleanup.policy": "compact"}},
		{"append to a non-list", incReq(false, topic(app("retention.ms", "5"))), []result{{40, "Can't APPEND to key retention.ms because its type is not LIST."}}, nil},
		{"not a number", incReq(false, topic(set("retention.ms", "abc"))), []result{{40, "Invalid value abc for configuration retention.ms: Not a number of type LONG"}}, nil},
		{"below minimum", incReq(false, topic(set("min.insync.replicas", "0"))), []result{{40, "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"}}, nil},
		{"not in the list", incReq(false, topic(set("cleanup.policy", "delete,shred"))), []result{{40, "Invalid value delete,shred for configuration cleanup.policy: String must be one of: compact, delete"}}, nil},
		{"unknown key", incReq(false, topic(set("retention.mss", "1"))), []result{{40, "Unknown topic config name: retention.mss"}}, nil},
		{"all or nothing", incReq(false, topic(set("retention.ms", "1"), set("segment.bytes", "1"))), []result{{40, "Invalid value 1 for configuration segment.bytes: Value must be at least 1048576"}}, nil},
		{"validate only", incReq(true, topic(set("retention.ms", "1"))), []result{{0, "<nil>"}}, nil},
		{"duplicate keys", incReq(false, topic(set("retention.ms", "1"), del("retention.ms"))), []result{{42, "Error due to duplicate config keys"}}, nil},
		{"null value", incReq(false, topic(iop{"retention.ms", kmsg.IncrementalAlterConfigOpSet, nil})), []result{{42, "Null value not supported for : retention.ms"}}, nil},
		{"unknown operation", incReq(false, topic(iop{"retention.ms", 9, strp("1")})), []result{{42, "Unknown operations type 9"}}, nil},
		{"duplicate resources, before authorization", incReq(false,
			incResource(kmsg.ConfigResourceTypeTopic, "secret", set("retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeTopic, "secret", set("retention.ms", "2"))),
			[]result{{42, "Each resource must appear at most once."}, {42, "Each resource must appear at most once."}}, nil},
		{"per resource", incReq(false,
			incResource(kmsg.ConfigResourceTypeTopic, "secret", set("retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeTopic, "missing-secret", set("retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeTopic, "missing", set("retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeTopic, "", set("retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeBroker, "1", set("log.retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeBroker, "", set("log.retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeBroker, "5", set("log.retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeBroker, "five", set("log.retention.ms", "1")),
			incResource(kmsg.ConfigResourceTypeBrokerLogger, "1", set("root", "DEBUG")),
			incResource(kmsg.ConfigResourceTypeGroupConfig, "g", set("consumer.session.timeout.ms", "10000")),
			incResource(kmsg.ConfigResourceTypeGroupConfig, "h", set("consumer.session.timeout.ms", "10000")),
			incResource(77, "x", set("a", "b"))),
			[]result{
				{29, "Topic authorization failed."},
				{29, "Topic authorization failed."},
				{3, "The topic 'missing' does not exist."},
				{42, "Default topic resources are not allowed."},
				{42, "minikafka does not support dynamic broker configs: set them in the broker configuration (server.properties or minikafka.Config)"},
				{42, "minikafka does not support dynamic broker configs: set them in the broker configuration (server.properties or minikafka.Config)"},
				{42, "Unexpected broker id, expected 1, but received 5"},
				{42, "Node id must be an integer, but it is: five"},
				{42, "minikafka does not support changing log levels at runtime: configure the broker's slog handlers"},
				{30, "Group authorization failed."},
				{42, "minikafka does not support altering GROUP configs"},
				{42, "Unknown resource type 77"},
			}, nil},
	}
	prev := topicConfigs(b, "orders")
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			z.asked()
			resp := rawRequest[*kmsg.IncrementalAlterConfigsResponse](raw.on(t), s.req)
			if len(resp.Resources) != len(s.want) {
				t.Fatalf("%d results, want %d", len(resp.Resources), len(s.want))
			}
			for i, w := range s.want {
				r := resp.Resources[i]
				if got := (result{r.ErrorCode, errMsg(r.ErrorMessage)}); got != w {
					t.Errorf("resource %d (%q): got %+v, want %+v", i, r.ResourceName, got, w)
				}
			}
			if s.name == "duplicate resources, before authorization" && len(z.asked()) != 0 {
				t.Error("duplicate resources were authorized")
			}
			want := s.cfg
			if want == nil {
				want = prev // failures and validate_only change nothing
			}
			if got := topicConfigs(b, "orders"); !sameMap(got, want) {
				t.Fatalf("topic configs %v, want %v", got, want)
			}
			prev = want
		})
	}

	// The admin client's incremental API, and the effect on describe.
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	ar, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.bytes", Value: strp("1048576")}}, "orders")
	if err != nil || ar[0].Err != nil {
		t.Fatalf("kadm AlterTopicConfigs: %v %v", err, ar)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "orders")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := rcs.On("orders", nil)
	found := false
	for _, c := range rc.Configs {
		if c.Key == "retention.bytes" {
			found = c.MaybeValue() == "1048576" && c.Source == kmsg.ConfigSourceDynamicTopicConfig
		}
	}
	if !found {
		t.Fatalf("retention.bytes not described as set: %+v", rc.Configs)
	}
}

func TestAlterConfigsLegacy(t *testing.T) {
	z := newRules("ALTER_CONFIGS Topic:secret", "ALTER_CONFIGS Cluster:kafka-cluster")
	b, addr := startBroker(t, withAuthorizer(z))
	cl := newClient(t, addr)
	createTopic(t, cl, "orders", 1, map[string]string{"segment.ms": "100000", "retention.ms": "5000"})
	raw := dialRaw(t, addr)
	res := func(rt kmsg.ConfigResourceType, name string, kv ...string) kmsg.AlterConfigsRequestResource {
		r := kmsg.NewAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = rt, name
		for i := 0; i < len(kv); i += 2 {
			c := kmsg.NewAlterConfigsRequestResourceConfig()
			c.Name = kv[i]
			if kv[i+1] != "<nil>" {
				c.Value = strp(kv[i+1])
			}
			r.Configs = append(r.Configs, c)
		}
		return r
	}
	req := func(validateOnly bool, rs ...kmsg.AlterConfigsRequestResource) *kmsg.AlterConfigsRequest {
		r := kmsg.NewPtrAlterConfigsRequest()
		r.Resources, r.ValidateOnly = rs, validateOnly
		return r
	}
	type result struct {
		code int16
		msg  string
	}
	check := func(t *testing.T, resp *kmsg.AlterConfigsResponse, want ...result) {
		t.Helper()
		if len(resp.Resources) != len(want) {
			t.Fatalf("%d results, want %d", len(resp.Resources), len(want))
		}
		for i, w := range want {
			r := resp.Resources[i]
			if got := (result{r.ErrorCode, errMsg(r.ErrorMessage)}); got != w {
				t.Errorf("resource %d: got %+v, want %+v", i, got, w)
			}
		}
	}

	// The given set replaces the whole set: segment.ms goes away.
	check(t, rawRequest[*kmsg.AlterConfigsResponse](raw, req(false, res(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "7000", "max.message.bytes", "200"))), result{0, "<nil>"})
	if got := topicConfigs(b, "orders"); !sameMap(got, map[string]string{"retention.ms": "7000", "max.message.bytes": "200"}) {
		t.Fatalf("after legacy alter: %v", got)
	}
	check(t, rawRequest[*kmsg.AlterConfigsResponse](raw, req(true, res(kmsg.ConfigResourceTypeTopic, "orders"))), result{0, "<nil>"})
	check(t, rawRequest[*kmsg.AlterConfigsResponse](raw, req(false,
		res(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "<nil>"),
		res(kmsg.ConfigResourceTypeTopic, "secret", "retention.ms", "1"),
		res(kmsg.ConfigResourceTypeBroker, "1", "log.retention.ms", "1"),
		res(kmsg.ConfigResourceTypeBrokerLogger, "1", "root", "DEBUG"),
		res(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "x"))),
		result{42, "Each resource must appear at most once."},
		result{29, "Topic authorization failed."},
		result{31, "Cluster authorization failed."},
		result{42, "Unknown resource type 8"},
		result{42, "Each resource must appear at most once."},
	)
	check(t, rawRequest[*kmsg.AlterConfigsResponse](raw, req(false, res(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "<nil>"))),
		result{42, "Null value not supported for : retention.ms"})
	check(t, rawRequest[*kmsg.AlterConfigsResponse](raw, req(false, res(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "-2"))),
		result{40, "Invalid value -2 for configuration retention.ms: Value must be at least -1"})
	if got := topicConfigs(b, "orders"); !sameMap(got, map[string]string{"retention.ms": "7000", "max.message.bytes": "200"}) {
		t.Fatalf("validate-only or failed requests changed configs: %v", got)
	}

	// max.message.bytes=200 now applies to Produce.
	big := batchtest.Build([]batchtest.Rec{{Timestamp: 1, Value: bytes.Repeat([]byte("x"), 300)}}, batchtest.Options{})
	if p := produceBatch(t, cl, "orders", 0, big).Topics[0].Partitions[0]; p.ErrorCode != 10 {
		t.Fatalf("a 361-byte batch with max.message.bytes=200: error %d, want 10 (MESSAGE_TOO_LARGE)", p.ErrorCode)
	}
}

// TestLogAppendTimeTopic: message.timestamp.type=LogAppendTime set at run
// time makes the broker stamp batches with its clock.
func TestLogAppendTimeTopic(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	b, addr := startBroker(t, func(c *Config) { c.Now = func() time.Time { return now } })
	cl := newClient(t, addr)
	createTopic(t, cl, "stamped", 1, nil)
	raw := dialRaw(t, addr)
	resp := rawRequest[*kmsg.IncrementalAlterConfigsResponse](raw, incReq(false, incResource(kmsg.ConfigResourceTypeTopic, "stamped", set("message.timestamp.type", "LogAppendTime"))))
	if resp.Resources[0].ErrorCode != 0 {
		t.Fatalf("alter: %d", resp.Resources[0].ErrorCode)
	}
	pr := produceBatch(t, cl, "stamped", 0, batchtest.Build([]batchtest.Rec{{Timestamp: 5}, {Timestamp: 6}}, batchtest.Options{}))
	if p := pr.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.LogAppendTime != now.UnixMilli() {
		t.Fatalf("produce: error %d log append time %d, want %d", p.ErrorCode, p.LogAppendTime, now.UnixMilli())
	}
	var stored []byte
	_ = b.topics.partition("stamped", 0).log.Read(0, 2, 1<<20, func(bt *storage.Batch) bool { stored = bt.Data; return false })
	if h, _, err := parseBatch(stored); err != nil || h.MaxTimestamp != now.UnixMilli() || h.Attributes&attrLogAppendTime == 0 {
		t.Fatalf("stored batch: %+v %v (the CRC must still hold)", h, err)
	}
	if off, ts := b.topics.partition("stamped", 0).log.MaxTimestamp(); off != 0 || ts != now.UnixMilli() {
		t.Fatalf("max timestamp (%d, %d)", off, ts)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

package broker

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func describeConfigsReq(synonyms, docs bool, resources ...kmsg.DescribeConfigsRequestResource) *kmsg.DescribeConfigsRequest {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.Resources = resources
	req.IncludeSynonyms, req.IncludeDocumentation = synonyms, docs
	return req
}

func dcResource(rt kmsg.ConfigResourceType, name string, keys ...string) kmsg.DescribeConfigsRequestResource {
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = rt, name
	if keys != nil {
		r.ConfigNames = keys
	}
	return r
}

func entries(res kmsg.DescribeConfigsResponseResource) map[string]kmsg.DescribeConfigsResponseResourceConfig {
	m := map[string]kmsg.DescribeConfigsResponseResourceConfig{}
	for _, c := range res.Configs {
		m[c.Name] = c
	}
	return m
}

func synonymString(c kmsg.DescribeConfigsResponseResourceConfig) string {
	var parts []string
	for _, s := range c.ConfigSynonyms {
		parts = append(parts, fmt.Sprintf("%s=%s@%d", s.Name, errMsg(s.Value), s.Source))
	}
	return strings.Join(parts, ",")
}

func TestDescribeConfigs(t *testing.T) {
	z := newRules("DESCRIBE_CONFIGS Topic:secret", "DESCRIBE_CONFIGS Topic:missing-secret", "DESCRIBE_CONFIGS Group:g")
	sink := &logSink{level: slog.LevelInfo}
	_, addr := startBroker(t, withAuthorizer(z), func(c *Config) {
		c.MessageMaxBytes = 2000000 // a configured broker value (message.max.bytes)
		c.NumPartitions = 3
		c.Logger = slog.New(sink)
	})
	cl := newClient(t, addr)
	createTopic(t, cl, "orders", 1, map[string]string{"retention.ms": "1000", "cleanup.policy": "compact, delete"})
	createTopic(t, cl, "secret", 1, nil)

	resp := request[*kmsg.DescribeConfigsResponse](t, cl, describeConfigsReq(true, false, dcResource(kmsg.ConfigResourceTypeTopic, "orders")))
	res := resp.Resources[0]
	if res.ErrorCode != 0 || len(res.Configs) != len(topicConfigDefs) {
		t.Fatalf("topic: error %d, %d configs (want all %d)", res.ErrorCode, len(res.Configs), len(topicConfigDefs))
	}
	got := entries(res)
	type want struct {
		value    string
		source   kmsg.ConfigSource
		synonyms string
	}
	for key, w := range map[string]want{
		// Set on the topic: TOPIC_CONFIG first; retention.ms keeps no
		// broker synonym (log.retention.ms is unset, and Kafka drops the
		// entries before it).
		"retention.ms":   {"1000", kmsg.ConfigSourceDynamicTopicConfig, "retention.ms=1000@1"},
		"cleanup.policy": {"compact,delete", kmsg.ConfigSourceDynamicTopicConfig, "cleanup.policy=compact,delete@1,log.cleanup.policy=delete@5"},
		// From a configured broker value.
		"max.message.bytes": {"2000000", kmsg.ConfigSourceStaticBrokerConfig, "message.max.bytes=2000000@4,message.max.bytes=1048588@5"},
		// Defaults.
		"segment.bytes":          {"1073741824", kmsg.ConfigSourceDefaultConfig, "log.segment.bytes=1073741824@5"},
		"message.timestamp.type": {"CreateTime", kmsg.ConfigSourceDefaultConfig, "log.message.timestamp.type=CreateTime@5"},
		"min.insync.replicas":    {"1", kmsg.ConfigSourceDefaultConfig, "min.insync.replicas=1@5"},
		"compression.type":       {"producer", kmsg.ConfigSourceDefaultConfig, "compression.type=producer@5"},
		"retention.bytes":        {"-1", kmsg.ConfigSourceDefaultConfig, "log.retention.bytes=-1@5"},
		"segment.ms":             {"604800000", kmsg.ConfigSourceDefaultConfig, ""},
	} {
		c, ok := got[key]
		if !ok {
			t.Errorf("%s missing", key)
			continue
		}
		if errMsg(c.Value) != w.value || c.Source != w.source || synonymString(c) != w.synonyms || c.ReadOnly || c.Documentation != nil {
			t.Errorf("%s = %q source %d synonyms %q readOnly %v doc %v; want %q %d %q", key, errMsg(c.Value), c.Source, synonymString(c), c.ReadOnly, c.Documentation, w.value, w.source, w.synonyms)
		}
	}

	// Named keys and documentation.
	resp = request[*kmsg.DescribeConfigsResponse](t, cl, describeConfigsReq(false, true, dcResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "no.such.key")))
	if cs := resp.Resources[0].Configs; len(cs) != 1 || cs[0].Name != "retention.ms" || cs[0].Documentation == nil || len(cs[0].ConfigSynonyms) != 0 || cs[0].ConfigType != kmsg.ConfigTypeLong {
		t.Fatalf("named keys with documentation: %+v", cs)
	}

	// The broker.
	resp = request[*kmsg.DescribeConfigsResponse](t, cl, describeConfigsReq(true, false, dcResource(kmsg.ConfigResourceTypeBroker, "1")))
	got = entries(resp.Resources[0])
	for key, w := range map[string]struct {
		value    string
		source   kmsg.ConfigSource
		readOnly bool
	}{
		"auto.create.topics.enable":                {"true", kmsg.ConfigSourceDefaultConfig, true},
		"num.partitions":                           {"3", kmsg.ConfigSourceStaticBrokerConfig, true},
		"default.replication.factor":               {"1", kmsg.ConfigSourceDefaultConfig, true},
		"message.max.bytes":                        {"2000000", kmsg.ConfigSourceStaticBrokerConfig, false},
		"log.retention.ms":                         {"<nil>", kmsg.ConfigSourceDefaultConfig, false},
		"log.retention.hours":                      {"168", kmsg.ConfigSourceDefaultConfig, true},
		"offsets.topic.replication.factor":         {"1", kmsg.ConfigSourceStaticBrokerConfig, true},
		"transaction.state.log.replication.factor": {"1", kmsg.ConfigSourceStaticBrokerConfig, true},
		"min.insync.replicas":                      {"1", kmsg.ConfigSourceDefaultConfig, false},
		"group.initial.rebalance.delay.ms":         {"0", kmsg.ConfigSourceStaticBrokerConfig, true},
	} {
		c, ok := got[key]
		if !ok {
			t.Errorf("broker %s missing", key)
			continue
		}
		if errMsg(c.Value) != w.value || c.Source != w.source || c.ReadOnly != w.readOnly {
			t.Errorf("broker %s = %q source %d readOnly %v; want %q %d %v", key, errMsg(c.Value), c.Source, c.ReadOnly, w.value, w.source, w.readOnly)
		}
	}
	if s := synonymString(got["num.partitions"]); s != "num.partitions=3@4,num.partitions=1@5" {
		t.Errorf("num.partitions synonyms %q", s)
	}

	// Loggers, errors and authorization, in one request (per-resource);
	// raw, since kgo would route broker resources by id.
	raw := dialRaw(t, addr)
	resp = rawRequest[*kmsg.DescribeConfigsResponse](raw, describeConfigsReq(false, false,
		dcResource(kmsg.ConfigResourceTypeBroker, ""),
		dcResource(kmsg.ConfigResourceTypeBroker, "7"),
		dcResource(kmsg.ConfigResourceTypeBroker, "x"),
		dcResource(kmsg.ConfigResourceTypeBrokerLogger, "1"),
		dcResource(kmsg.ConfigResourceTypeBrokerLogger, ""),
		dcResource(kmsg.ConfigResourceTypeTopic, "nope"),
		dcResource(kmsg.ConfigResourceTypeTopic, "bad/name"),
		dcResource(kmsg.ConfigResourceTypeTopic, "secret"),
		dcResource(kmsg.ConfigResourceTypeTopic, "missing-secret"),
		dcResource(kmsg.ConfigResourceTypeGroupConfig, "g"),
		dcResource(kmsg.ConfigResourceTypeGroupConfig, "h"),
		dcResource(99, "what"),
	))
	type result struct {
		code    int16
		msg     string
		configs int
	}
	wants := []result{
		{0, "<nil>", 0},
		{42, "Unexpected broker id, expected 1 or empty string, but received 7", 0},
		{42, "Broker id must be an integer, but it is: x", 0},
		{0, "<nil>", 2},
		{42, "Broker id must not be empty", 0},
		{3, "<nil>", 0},
		{17, "Topic name bad/name is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", 0},
		{29, "Topic authorization failed.", 0},
		{29, "Topic authorization failed.", 0},
		{30, "Group authorization failed.", 0},
		{42, "minikafka does not support describing GROUP configs", 0},
		{42, "Unexpected resource type 99 for resource what", 0},
	}
	if len(resp.Resources) != len(wants) {
		t.Fatalf("%d results for %d resources", len(resp.Resources), len(wants))
	}
	for i, w := range wants {
		r := resp.Resources[i]
		if got := (result{r.ErrorCode, errMsg(r.ErrorMessage), len(r.Configs)}); got != w {
			t.Errorf("resource %d (%d %q): got %+v, want %+v", i, r.ResourceType, r.ResourceName, got, w)
		}
	}
	if lg := entries(resp.Resources[3]); errMsg(lg["root"].Value) != "INFO" || lg["root"].Source != kmsg.ConfigSourceDynamicBrokerLoggerConfig {
		t.Errorf("BROKER_LOGGER root = %+v, want INFO from the broker's handler", lg["root"])
	}

	// The cluster check guards BROKER resources.
	z.add("DESCRIBE_CONFIGS Cluster:kafka-cluster")
	resp = request[*kmsg.DescribeConfigsResponse](t, cl, describeConfigsReq(false, false, dcResource(kmsg.ConfigResourceTypeBroker, "1")))
	if r := resp.Resources[0]; r.ErrorCode != 31 || errMsg(r.ErrorMessage) != "Cluster authorization failed." || len(r.Configs) != 0 {
		t.Fatalf("broker without DESCRIBE_CONFIGS: %d %q %d configs", r.ErrorCode, errMsg(r.ErrorMessage), len(r.Configs))
	}

	// v0 (no source field): is_default marks defaults.
	v0 := describeConfigsReq(false, false, dcResource(kmsg.ConfigResourceTypeTopic, "orders", "retention.ms", "segment.bytes"))
	v0.SetVersion(0)
	r0 := entries(raw.do(v0).(*kmsg.DescribeConfigsResponse).Resources[0])
	if r0["retention.ms"].IsDefault || !r0["segment.bytes"].IsDefault || errMsg(r0["retention.ms"].Value) != "1000" {
		t.Fatalf("v0: retention.ms %+v segment.bytes %+v", r0["retention.ms"], r0["segment.bytes"])
	}

	// A real admin client reads the same.
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(testCtx(t), "orders")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("orders", nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("kadm: %v %v", err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && (c.MaybeValue() != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig) {
			t.Fatalf("kadm retention.ms = %q source %v", c.MaybeValue(), c.Source)
		}
	}
}

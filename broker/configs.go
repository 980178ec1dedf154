package broker

// Topic and broker configuration keys: names, types, Kafka's defaults,
// validation with Kafka's messages, the topic→broker synonym chains, and
// how DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44)
// and CreateTopics (19) see them. Only topic configs are dynamic here;
// broker values come from the broker Config and are read-only.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaError is an error whose text is Kafka's own, sent to clients
// verbatim, so it keeps Kafka's wording and capitalization.
type kafkaError string

func (e kafkaError) Error() string { return string(e) }

func kafkaErrorf(format string, args ...any) error { return kafkaError(fmt.Sprintf(format, args...)) }

// configDef describes one config key.
type configDef struct {
	name string
	typ  kmsg.ConfigType
	def  string // Kafka's default ("" with nullDef: no default)
	// nullDef: the default is null (Kafka prints no value).
	nullDef bool
	doc     string
	check   func(v string) error // beyond the type check; nil: none
	// synonyms (topic keys only) are the broker keys a topic key falls
	// back to, the first being the one Kafka names the server default.
	synonyms []string
	// dynamic (broker keys only): Kafka can update it at runtime, so it is
	// not read-only in DescribeConfigs (we still refuse to alter it).
	dynamic bool
}

const (
	maxLong = "9223372036854775807"
	maxInt  = "2147483647"
)

// topicConfigDefs are Kafka's topic-level configs, in the order Kafka
// lists them.
var topicConfigDefs = []configDef{
	{name: "cleanup.policy", typ: kmsg.ConfigTypeList, def: "delete", doc: "delete drops old segments by retention; compact keeps the latest record per key (compaction is not performed by minikafka).", check: listIn("compact", "delete"), synonyms: []string{"log.cleanup.policy"}},
	{name: "compression.gzip.level", typ: kmsg.ConfigTypeInt, def: "-1", doc: "Compression level for gzip.", check: intRangeOr(1, 9, -1), synonyms: []string{"compression.gzip.level"}},
	{name: "compression.lz4.level", typ: kmsg.ConfigTypeInt, def: "9", doc: "Compression level for lz4.", check: intRange(1, 17), synonyms: []string{"compression.lz4.level"}},
	{name: "compression.type", typ: kmsg.ConfigTypeString, def: "producer", doc: "Final compression of the topic; producer keeps what the producer sent.", check: stringIn("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), synonyms: []string{"compression.type"}},
	{name: "compression.zstd.level", typ: kmsg.ConfigTypeInt, def: "3", doc: "Compression level for zstd.", check: intRange(-131072, 22), synonyms: []string{"compression.zstd.level"}},
	{name: "delete.retention.ms", typ: kmsg.ConfigTypeLong, def: "86400000", doc: "How long delete tombstones are kept on compacted topics.", check: atLeast(0), synonyms: []string{"log.cleaner.delete.retention.ms"}},
	{name: "file.delete.delay.ms", typ: kmsg.ConfigTypeLong, def: "60000", doc: "Delay before a deleted segment file is removed.", check: atLeast(0), synonyms: []string{"log.segment.delete.delay.ms"}},
	{name: "flush.messages", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Messages between forced flushes.", check: atLeast(1), synonyms: []string{"log.flush.interval.messages"}},
	{name: "flush.ms", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Time between forced flushes.", check: atLeast(0), synonyms: []string{"log.flush.interval.ms"}},
	{name: "follower.replication.throttled.replicas", typ: kmsg.ConfigTypeList, def: "", doc: "Replicas whose follower replication is throttled."},
	{name: "index.interval.bytes", typ: kmsg.ConfigTypeInt, def: "4096", doc: "Bytes between offset index entries.", check: atLeast(0), synonyms: []string{"log.index.interval.bytes"}},
	{name: "leader.replication.throttled.replicas", typ: kmsg.ConfigTypeList, def: "", doc: "Replicas whose leader replication is throttled."},
	{name: "local.retention.bytes", typ: kmsg.ConfigTypeLong, def: "-2", doc: "Local retention size with tiered storage (-2: retention.bytes).", check: atLeast(-2), synonyms: []string{"log.local.retention.bytes"}},
	{name: "local.retention.ms", typ: kmsg.ConfigTypeLong, def: "-2", doc: "Local retention time with tiered storage (-2: retention.ms).", check: atLeast(-2), synonyms: []string{"log.local.retention.ms"}},
	{name: "max.compaction.lag.ms", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Longest time a record stays uncompacted.", check: atLeast(1), synonyms: []string{"log.cleaner.max.compaction.lag.ms"}},
	{name: "max.message.bytes", typ: kmsg.ConfigTypeInt, def: "1048588", doc: "Largest record batch the topic accepts, in bytes.", check: atLeast(0), synonyms: []string{"message.max.bytes"}},
	{name: "message.timestamp.after.max.ms", typ: kmsg.ConfigTypeLong, def: "3600000", doc: "How far in the future a CreateTime timestamp may be.", check: atLeast(0), synonyms: []string{"log.message.timestamp.after.max.ms"}},
	{name: "message.timestamp.before.max.ms", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "How far in the past a CreateTime timestamp may be.", check: atLeast(0), synonyms: []string{"log.message.timestamp.before.max.ms"}},
	{name: "message.timestamp.type", typ: kmsg.ConfigTypeString, def: "CreateTime", doc: "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker clock.", check: stringIn("CreateTime", "LogAppendTime"), synonyms: []string{"log.message.timestamp.type"}},
	{name: "min.cleanable.dirty.ratio", typ: kmsg.ConfigTypeDouble, def: "0.5", doc: "Dirty ratio that triggers compaction.", check: doubleRange(0, 1), synonyms: []string{"log.cleaner.min.cleanable.ratio"}},
	{name: "min.compaction.lag.ms", typ: kmsg.ConfigTypeLong, def: "0", doc: "Shortest time a record stays uncompacted.", check: atLeast(0), synonyms: []string{"log.cleaner.min.compaction.lag.ms"}},
	{name: "min.insync.replicas", typ: kmsg.ConfigTypeInt, def: "1", doc: "Replicas that must acknowledge an acks=all write.", check: atLeast(1), synonyms: []string{"min.insync.replicas"}},
	{name: "preallocate", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Preallocate segment files.", synonyms: []string{"log.preallocate"}},
	{name: "remote.log.copy.disable", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Stop copying segments to remote storage."},
	{name: "remote.log.delete.on.disable", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Delete remote data when tiered storage is disabled."},
	{name: "remote.storage.enable", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Tiered storage for the topic (not supported by minikafka)."},
	{name: "retention.bytes", typ: kmsg.ConfigTypeLong, def: "-1", doc: "Largest size a partition keeps before old data is deleted (-1: no limit).", synonyms: []string{"log.retention.bytes"}},
	{name: "retention.ms", typ: kmsg.ConfigTypeLong, def: "604800000", doc: "How long data is kept before it is deleted (-1: no limit).", check: atLeast(-1), synonyms: []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}},
	{name: "segment.bytes", typ: kmsg.ConfigTypeInt, def: "1073741824", doc: "Segment file size.", check: atLeast(1024 * 1024), synonyms: []string{"log.segment.bytes"}},
	{name: "segment.index.bytes", typ: kmsg.ConfigTypeInt, def: "10485760", doc: "Offset index size.", check: atLeast(4), synonyms: []string{"log.index.size.max.bytes"}},
	{name: "segment.jitter.ms", typ: kmsg.ConfigTypeLong, def: "0", doc: "Random jitter subtracted from segment.ms.", check: atLeast(0), synonyms: []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}},
	{name: "segment.ms", typ: kmsg.ConfigTypeLong, def: "604800000", doc: "Time after which a segment is rolled.", check: atLeast(1), synonyms: []string{"log.roll.ms", "log.roll.hours"}},
	{name: "unclean.leader.election.enable", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Allow out-of-sync replicas to become leader.", synonyms: []string{"unclean.leader.election.enable"}},
}

// legacyTopicConfigs were removed from Kafka 4.0 but are still accepted
// (and kept, unvalidated) for older clients; they are not described.
var legacyTopicConfigs = map[string]bool{
	"message.downconversion.enable": true, "message.format.version": true, "message.timestamp.difference.max.ms": true,
}

var topicConfigByName = func() map[string]*configDef {
	m := make(map[string]*configDef, len(topicConfigDefs))
	for i := range topicConfigDefs {
		m[topicConfigDefs[i].name] = &topicConfigDefs[i]
	}
	return m
}()

// brokerConfigDef is a broker key and how its value is read from Config.
type brokerConfigDef struct {
	configDef
	// value returns the effective value and whether it was configured
	// (differs from Kafka's default); nil: always Kafka's default.
	value func(c *Config) (string, bool)
}

func itoa[T ~int | ~int16 | ~int32 | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func configured(v, def string) (string, bool) { return v, v != def }

// brokerConfigDefs are the broker keys minikafka describes.
var brokerConfigDefs = []brokerConfigDef{
	{configDef{name: "auto.create.topics.enable", typ: kmsg.ConfigTypeBoolean, def: "true", doc: "Create topics on a Metadata request that names them."},
		func(c *Config) (string, bool) { return configured(strconv.FormatBool(c.AutoCreateTopics), "true") }},
	{configDef{name: "broker.id", typ: kmsg.ConfigTypeInt, def: "-1", doc: "Broker id (this node's id)."},
		func(c *Config) (string, bool) { return itoa(c.NodeID), true }},
	{configDef{name: "compression.type", typ: kmsg.ConfigTypeString, def: "producer", doc: "Default topic compression.", dynamic: true}, nil},
	{configDef{name: "connection.failed.authentication.delay.ms", typ: kmsg.ConfigTypeInt, def: "100", doc: "Delay before closing a connection whose authentication failed."},
		func(c *Config) (string, bool) { return configured(itoa(c.FailedAuthDelay.Milliseconds()), "100") }},
	{configDef{name: "connections.max.idle.ms", typ: kmsg.ConfigTypeLong, def: "600000", doc: "Idle connections are closed after this time."},
		func(c *Config) (string, bool) { return configured(itoa(durationOr(c.IdleTimeout, 600000)), "600000") }},
	{configDef{name: "connections.max.reauth.ms", typ: kmsg.ConfigTypeLong, def: "0", doc: "Longest session before a client must re-authenticate (0: no limit)."},
		func(c *Config) (string, bool) { return configured(itoa(c.MaxReauth.Milliseconds()), "0") }},
	{configDef{name: "default.replication.factor", typ: kmsg.ConfigTypeInt, def: "1", doc: "Replication factor of automatically created topics."},
		func(c *Config) (string, bool) { return configured(itoa(c.DefaultReplication), "1") }},
	{configDef{name: "delete.topic.enable", typ: kmsg.ConfigTypeBoolean, def: "true", doc: "Allow DeleteTopics."},
		func(c *Config) (string, bool) { return configured(strconv.FormatBool(c.DeleteTopicEnable), "true") }},
	{configDef{name: "group.initial.rebalance.delay.ms", typ: kmsg.ConfigTypeInt, def: "3000", doc: "Delay before the first rebalance of a new group."},
		func(c *Config) (string, bool) {
			return configured(itoa(c.GroupInitialRebalance.Milliseconds()), "3000")
		}},
	{configDef{name: "log.cleaner.delete.retention.ms", typ: kmsg.ConfigTypeLong, def: "86400000", doc: "Default delete.retention.ms.", dynamic: true}, nil},
	{configDef{name: "log.cleaner.max.compaction.lag.ms", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Default max.compaction.lag.ms.", dynamic: true}, nil},
	{configDef{name: "log.cleaner.min.cleanable.ratio", typ: kmsg.ConfigTypeDouble, def: "0.5", doc: "Default min.cleanable.dirty.ratio.", dynamic: true}, nil},
	{configDef{name: "log.cleaner.min.compaction.lag.ms", typ: kmsg.ConfigTypeLong, def: "0", doc: "Default min.compaction.lag.ms.", dynamic: true}, nil},
	{configDef{name: "log.cleanup.policy", typ: kmsg.ConfigTypeList, def: "delete", doc: "Default cleanup.policy.", dynamic: true}, nil},
	{configDef{name: "log.flush.interval.messages", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Default flush.messages.", dynamic: true}, nil},
	{configDef{name: "log.flush.interval.ms", typ: kmsg.ConfigTypeLong, nullDef: true, doc: "Default flush.ms.", dynamic: true}, nil},
	{configDef{name: "log.index.interval.bytes", typ: kmsg.ConfigTypeInt, def: "4096", doc: "Default index.interval.bytes.", dynamic: true}, nil},
	{configDef{name: "log.index.size.max.bytes", typ: kmsg.ConfigTypeInt, def: "10485760", doc: "Default segment.index.bytes.", dynamic: true}, nil},
	{configDef{name: "log.local.retention.bytes", typ: kmsg.ConfigTypeLong, def: "-2", doc: "Default local.retention.bytes.", dynamic: true}, nil},
	{configDef{name: "log.local.retention.ms", typ: kmsg.ConfigTypeLong, def: "-2", doc: "Default local.retention.ms.", dynamic: true}, nil},
	{configDef{name: "log.message.timestamp.after.max.ms", typ: kmsg.ConfigTypeLong, def: "3600000", doc: "Default message.timestamp.after.max.ms.", dynamic: true}, nil},
	{configDef{name: "log.message.timestamp.before.max.ms", typ: kmsg.ConfigTypeLong, def: maxLong, doc: "Default message.timestamp.before.max.ms.", dynamic: true}, nil},
	{configDef{name: "log.message.timestamp.type", typ: kmsg.ConfigTypeString, def: "CreateTime", doc: "Default message.timestamp.type.", dynamic: true}, nil},
	{configDef{name: "log.preallocate", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Default preallocate.", dynamic: true}, nil},
	{configDef{name: "log.retention.bytes", typ: kmsg.ConfigTypeLong, def: "-1", doc: "Default retention.bytes.", dynamic: true},
		func(c *Config) (string, bool) { return configured(itoa(c.RetentionBytes), "-1") }},
	{configDef{name: "log.retention.hours", typ: kmsg.ConfigTypeInt, def: "168", doc: "Default retention, in hours (used when log.retention.ms and log.retention.minutes are not set)."}, nil},
	{configDef{name: "log.retention.minutes", typ: kmsg.ConfigTypeInt, nullDef: true, doc: "Default retention, in minutes."}, nil},
	{configDef{name: "log.retention.ms", typ: kmsg.ConfigTypeLong, nullDef: true, doc: "Default retention.ms.", dynamic: true},
		func(c *Config) (string, bool) { return configured(itoa(c.RetentionMs), "604800000") }},
	{configDef{name: "log.roll.hours", typ: kmsg.ConfigTypeInt, def: "168", doc: "Default segment roll time, in hours."}, nil},
	{configDef{name: "log.roll.jitter.hours", typ: kmsg.ConfigTypeInt, def: "0", doc: "Default segment roll jitter, in hours."}, nil},
	{configDef{name: "log.roll.jitter.ms", typ: kmsg.ConfigTypeLong, nullDef: true, doc: "Default segment.jitter.ms.", dynamic: true}, nil},
	{configDef{name: "log.roll.ms", typ: kmsg.ConfigTypeLong, nullDef: true, doc: "Default segment.ms.", dynamic: true}, nil},
	{configDef{name: "log.segment.bytes", typ: kmsg.ConfigTypeInt, def: "1073741824", doc: "Default segment.bytes.", dynamic: true}, nil},
	{configDef{name: "log.segment.delete.delay.ms", typ: kmsg.ConfigTypeLong, def: "60000", doc: "Default file.delete.delay.ms.", dynamic: true}, nil},
	{configDef{name: "max.connections", typ: kmsg.ConfigTypeInt, def: maxInt, doc: "Most connections the broker accepts.", dynamic: true},
		func(c *Config) (string, bool) {
			return configured(itoa(intOr(c.MaxConnections, math.MaxInt32)), maxInt)
		}},
	{configDef{name: "max.connections.per.ip", typ: kmsg.ConfigTypeInt, def: maxInt, doc: "Most connections from one address.", dynamic: true},
		func(c *Config) (string, bool) {
			return configured(itoa(intOr(c.MaxConnectionsPerIP, math.MaxInt32)), maxInt)
		}},
	{configDef{name: "message.max.bytes", typ: kmsg.ConfigTypeInt, def: "1048588", doc: "Default max.message.bytes.", dynamic: true},
		func(c *Config) (string, bool) { return configured(itoa(c.MessageMaxBytes), "1048588") }},
	{configDef{name: "min.insync.replicas", typ: kmsg.ConfigTypeInt, def: "1", doc: "Default min.insync.replicas.", dynamic: true}, nil},
	{configDef{name: "node.id", typ: kmsg.ConfigTypeInt, nullDef: true, doc: "This node's id."},
		func(c *Config) (string, bool) { return itoa(c.NodeID), true }},
	{configDef{name: "num.partitions", typ: kmsg.ConfigTypeInt, def: "1", doc: "Partitions of automatically created topics."},
		func(c *Config) (string, bool) { return configured(itoa(c.NumPartitions), "1") }},
	{configDef{name: "offsets.retention.minutes", typ: kmsg.ConfigTypeInt, def: "10080", doc: "How long committed offsets of an empty group are kept."},
		func(c *Config) (string, bool) {
			return configured(itoa(int64(c.OffsetsRetention/time.Minute)), "10080")
		}},
	// A single node runs its internal topics with one replica, as every
	// single-node Kafka configures them.
	{configDef{name: "offsets.topic.replication.factor", typ: kmsg.ConfigTypeShort, def: "3", doc: "Replication factor of __consumer_offsets."},
		func(*Config) (string, bool) { return "1", true }},
	{configDef{name: "process.roles", typ: kmsg.ConfigTypeList, def: "", doc: "Roles of this node."},
		func(*Config) (string, bool) { return "broker,controller", true }},
	{configDef{name: "sasl.server.max.receive.size", typ: kmsg.ConfigTypeInt, def: "524288", doc: "Largest SASL frame accepted before authentication."},
		func(c *Config) (string, bool) { return configured(itoa(c.MaxSaslReceiveBytes), "524288") }},
	{configDef{name: "socket.request.max.bytes", typ: kmsg.ConfigTypeInt, def: "104857600", doc: "Largest request frame accepted."},
		func(c *Config) (string, bool) { return configured(itoa(c.MaxRequestBytes), "104857600") }},
	{configDef{name: "transaction.max.timeout.ms", typ: kmsg.ConfigTypeInt, def: "900000", doc: "Largest transaction timeout a producer may ask for."},
		func(c *Config) (string, bool) {
			return configured(itoa(c.TransactionTimeoutMax.Milliseconds()), "900000")
		}},
	{configDef{name: "transaction.state.log.min.isr", typ: kmsg.ConfigTypeInt, def: "2", doc: "min.insync.replicas of __transaction_state."},
		func(*Config) (string, bool) { return "1", true }},
	{configDef{name: "transaction.state.log.replication.factor", typ: kmsg.ConfigTypeShort, def: "3", doc: "Replication factor of __transaction_state."},
		func(*Config) (string, bool) { return "1", true }},
	{configDef{name: "unclean.leader.election.enable", typ: kmsg.ConfigTypeBoolean, def: "false", doc: "Default unclean.leader.election.enable.", dynamic: true}, nil},
}

var brokerConfigByName = func() map[string]*brokerConfigDef {
	m := make(map[string]*brokerConfigDef, len(brokerConfigDefs))
	for i := range brokerConfigDefs {
		m[brokerConfigDefs[i].name] = &brokerConfigDefs[i]
	}
	return m
}()

func durationOr(d time.Duration, defMs int64) int64 {
	if d <= 0 {
		return defMs
	}
	return d.Milliseconds()
}

func intOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// brokerValue returns the value of a broker key: a StaticBrokerConfigs
// entry, else the Config field, else Kafka's default. static reports a
// configured value (STATIC_BROKER_CONFIG); ok=false for a null default.
func (b *Broker) brokerValue(d *brokerConfigDef) (v string, static, ok bool) {
	if s, set := b.cfg.StaticBrokerConfigs[d.name]; set {
		return s, true, true
	}
	if d.value != nil {
		if v, set := d.value(&b.cfg); set {
			return v, true, true
		}
	}
	return d.def, false, !d.nullDef
}

// topicDefault is the value a topic key has when the topic does not set
// it: the first configured broker synonym (as Kafka derives its LogConfig
// from the broker config), else Kafka's default.
func (b *Broker) topicDefault(d *configDef) string {
	for _, s := range d.synonyms {
		if bd := brokerConfigByName[s]; bd != nil {
			if v, static, _ := b.brokerValue(bd); static {
				return v
			}
		} else if v, set := b.cfg.StaticBrokerConfigs[s]; set {
			return v
		}
	}
	return d.def
}

// validateTopicConfig checks one topic config value and returns it in
// Kafka's canonical form. Errors carry Kafka's text (INVALID_CONFIG).
func validateTopicConfig(name, value string) (string, error) {
	if legacyTopicConfigs[name] {
		return value, nil
	}
	d := topicConfigByName[name]
	if d == nil {
		return "", kafkaErrorf("Unknown topic config name: %s", name)
	}
	v, err := parseConfigValue(d, value)
	if err != nil {
		return "", err
	}
	if d.check != nil {
		if err := d.check(v); err != nil {
			return "", kafkaErrorf("Invalid value %s for configuration %s: %v", value, name, err)
		}
	}
	return v, nil
}

// parseConfigValue applies Kafka's ConfigDef type parsing.
func parseConfigValue(d *configDef, value string) (string, error) {
	v := strings.TrimSpace(value)
	bad := func(what string) (string, error) {
		return "", kafkaErrorf("Invalid value %s for configuration %s: %s", value, d.name, what)
	}
	switch d.typ {
	case kmsg.ConfigTypeInt:
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return bad("Not a number of type INT")
		}
	case kmsg.ConfigTypeShort:
		if _, err := strconv.ParseInt(v, 10, 16); err != nil {
			return bad("Not a number of type SHORT")
		}
	case kmsg.ConfigTypeLong:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return bad("Not a number of type LONG")
		}
	case kmsg.ConfigTypeDouble:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad("Not a number of type DOUBLE")
		}
	case kmsg.ConfigTypeBoolean:
		switch strings.ToLower(v) {
		case "true", "false":
			v = strings.ToLower(v)
		default:
			return bad("Expected value to be either true or false")
		}
	case kmsg.ConfigTypeList:
		parts := splitList(v)
		v = strings.Join(parts, ",")
	default:
		v = value
	}
	return v, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func atLeast(min int64) func(string) error {
	return func(v string) error {
		n, _ := strconv.ParseInt(v, 10, 64)
		if n < min {
			return kafkaErrorf("Value must be at least %d", min)
		}
		return nil
	}
}

func intRange(min, max int64) func(string) error {
	return func(v string) error {
		n, _ := strconv.ParseInt(v, 10, 64)
		if n < min {
			return kafkaErrorf("Value must be at least %d", min)
		}
		if n > max {
			return kafkaErrorf("Value must be no more than %d", max)
		}
		return nil
	}
}

// intRangeOr accepts [min, max] or the single value or (gzip's -1).
func intRangeOr(min, max, or int64) func(string) error {
	return func(v string) error {
		n, _ := strconv.ParseInt(v, 10, 64)
		if n == or || (n >= min && n <= max) {
			return nil
		}
		return kafkaErrorf("Value must be between %d and %d or equal to %d", min, max, or)
	}
}

func doubleRange(min, max float64) func(string) error {
	return func(v string) error {
		f, _ := strconv.ParseFloat(v, 64)
		if f < min {
			return kafkaErrorf("Value must be at least %v", min)
		}
		if f > max {
			return kafkaErrorf("Value must be no more than %v", max)
		}
		return nil
	}
}

func stringIn(valid ...string) func(string) error {
	return func(v string) error {
		for _, s := range valid {
			if v == s {
				return nil
			}
		}
		return kafkaErrorf("String must be one of: %s", strings.Join(valid, ", "))
	}
}

func listIn(valid ...string) func(string) error {
	one := stringIn(valid...)
	return func(v string) error {
		for _, p := range splitList(v) {
			if err := one(p); err != nil {
				return err
			}
		}
		return nil
	}
}

// validateTopicConfigs checks the configs of a CreateTopics topic and
// returns them in canonical form (null values are skipped, as Kafka does
// when it builds the topic's properties).
func validateTopicConfigs(in []kmsg.CreateTopicsRequestTopicConfig) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range in {
		if c.Value == nil {
			if legacyTopicConfigs[c.Name] || topicConfigByName[c.Name] != nil {
				continue
			}
			return nil, kafkaErrorf("Unknown topic config name: %s", c.Name)
		}
		v, err := validateTopicConfig(c.Name, *c.Value)
		if err != nil {
			return nil, err
		}
		out[c.Name] = v
	}
	return out, nil
}

// configSynonym is one entry of a synonym chain.
type configSynonym struct {
	name   string
	value  *string
	source kmsg.ConfigSource
}

// topicEntry builds the DescribeConfigs entry of one topic key, with
// Kafka's synonym chain: the topic's own value (TOPIC_CONFIG), then the
// configured broker synonyms (STATIC_BROKER_CONFIG), then their non-null
// defaults (DEFAULT_CONFIG), from the first broker synonym on (Kafka drops
// the entries before it, e.g. log.retention.hours when describing
// retention.ms with log.retention.ms unset).
func (b *Broker) topicEntry(d *configDef, explicit map[string]string, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	var chain []configSynonym
	if len(d.synonyms) > 0 {
		for _, s := range d.synonyms {
			if bd := brokerConfigByName[s]; bd != nil {
				if v, static, _ := b.brokerValue(bd); static {
					chain = append(chain, configSynonym{s, strp(v), kmsg.ConfigSourceStaticBrokerConfig})
				}
			}
		}
		for _, s := range d.synonyms {
			if bd := brokerConfigByName[s]; bd != nil && !bd.nullDef {
				chain = append(chain, configSynonym{s, strp(bd.def), kmsg.ConfigSourceDefaultConfig})
			}
		}
		for len(chain) > 0 && chain[0].name != d.synonyms[0] {
			chain = chain[1:]
		}
	}
	value := b.topicDefault(d)
	if v, ok := explicit[d.name]; ok {
		value = v
		chain = append([]configSynonym{{d.name, strp(v), kmsg.ConfigSourceDynamicTopicConfig}}, chain...)
	}
	e := kmsg.NewDescribeConfigsResponseResourceConfig()
	e.Name, e.Value = d.name, strp(value)
	e.Source = kmsg.ConfigSourceDefaultConfig
	if len(chain) > 0 {
		e.Source = chain[0].source
	}
	e.ConfigType = d.typ
	fillEntry(&e, chain, synonyms, docs, d.doc)
	return e
}

// brokerEntry builds the DescribeConfigs entry of one broker key.
func (b *Broker) brokerEntry(d *brokerConfigDef, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	v, static, ok := b.brokerValue(d)
	var chain []configSynonym
	if static {
		chain = append(chain, configSynonym{d.name, strp(v), kmsg.ConfigSourceStaticBrokerConfig})
	}
	if !d.nullDef {
		chain = append(chain, configSynonym{d.name, strp(d.def), kmsg.ConfigSourceDefaultConfig})
	}
	e := kmsg.NewDescribeConfigsResponseResourceConfig()
	e.Name = d.name
	if ok {
		e.Value = strp(v)
	}
	e.Source = kmsg.ConfigSourceDefaultConfig
	if len(chain) > 0 {
		e.Source = chain[0].source
	}
	e.ReadOnly = !d.dynamic
	e.ConfigType = d.typ
	fillEntry(&e, chain, synonyms, docs, d.doc)
	return e
}

func fillEntry(e *kmsg.DescribeConfigsResponseResourceConfig, chain []configSynonym, synonyms, docs bool, doc string) {
	e.IsDefault = e.Source == kmsg.ConfigSourceDefaultConfig // v0 only
	if synonyms {
		e.ConfigSynonyms = make([]kmsg.DescribeConfigsResponseResourceConfigConfigSynonym, 0, len(chain))
		for _, s := range chain {
			cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			cs.Name, cs.Value, cs.Source = s.name, s.value, s.source
			e.ConfigSynonyms = append(e.ConfigSynonyms, cs)
		}
	}
	if docs {
		e.Documentation = strp(doc)
	}
}

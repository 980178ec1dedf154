package broker

// DescribeConfigs (32), v0–4. ACL per resource: TOPIC → Topic
// DESCRIBE_CONFIGS (denied: 29 "Topic authorization failed."); BROKER,
// BROKER_LOGGER, CLIENT_METRICS → Cluster DESCRIBE_CONFIGS (31); GROUP →
// Group DESCRIBE_CONFIGS (30); denied resources carry no configs. Only
// then: a TOPIC must be valid (17) and exist (3). TOPIC lists every topic
// config with its source (TOPIC_CONFIG when set on the topic, else
// STATIC_BROKER_CONFIG or DEFAULT_CONFIG through the broker synonym);
// BROKER "<node id>" lists the broker keys (read-only, from the broker
// Config) and BROKER "" the cluster-wide dynamic defaults (none);
// BROKER_LOGGER lists the broker and audit loggers with their effective
// levels. Synonyms (v1+) and documentation (v3+) are filled when asked.
// GROUP and CLIENT_METRICS configs are not supported: 42 after
// authorization.

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(32, handleDescribeConfigs) }

// Kafka's default messages of the authorization errors.
const (
	msgTopicAuthz   = "Topic authorization failed."
	msgGroupAuthz   = "Group authorization failed."
	msgClusterAuthz = "Cluster authorization failed."
)

func handleDescribeConfigs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	synonyms := req.IncludeSynonyms && r.Version >= 1
	docs := req.IncludeDocumentation && r.Version >= 3
	for i := range req.Resources {
		rr := &req.Resources[i]
		res := kmsg.NewDescribeConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		res.Configs = []kmsg.DescribeConfigsResponseResourceConfig{}
		fail := func(code int16, msg string) {
			res.ErrorCode = code
			if msg != "" {
				res.ErrorMessage = strp(msg)
			}
		}
		if code, msg := c.authorizeConfigResource(rr.ResourceType, rr.ResourceName, az.OpDescribeConfigs); code != 0 {
			fail(code, msg)
			resp.Resources = append(resp.Resources, res)
			continue
		}
		switch rr.ResourceType {
		case kmsg.ConfigResourceTypeTopic:
			if err := validateTopicName(rr.ResourceName); err != nil {
				fail(kerr.InvalidTopicException.Code, err.Error())
				break
			}
			t := c.b.topics.get(rr.ResourceName)
			if t == nil {
				fail(kerr.UnknownTopicOrPartition.Code, "")
				break
			}
			explicit := t.configs()
			for j := range topicConfigDefs {
				if wanted(rr.ConfigNames, topicConfigDefs[j].name) {
					res.Configs = append(res.Configs, c.b.topicEntry(&topicConfigDefs[j], explicit, synonyms, docs))
				}
			}
		case kmsg.ConfigResourceTypeBroker:
			if rr.ResourceName == "" {
				break // no cluster-wide dynamic defaults
			}
			if code, msg := c.b.checkBrokerName(rr.ResourceName, "or empty string, "); code != 0 {
				fail(code, msg)
				break
			}
			for j := range brokerConfigDefs {
				if wanted(rr.ConfigNames, brokerConfigDefs[j].name) {
					res.Configs = append(res.Configs, c.b.brokerEntry(&brokerConfigDefs[j], synonyms, docs))
				}
			}
		case kmsg.ConfigResourceTypeBrokerLogger:
			if rr.ResourceName == "" {
				fail(kerr.InvalidRequest.Code, "Broker id must not be empty")
				break
			}
			if code, msg := c.b.checkBrokerName(rr.ResourceName, ""); code != 0 {
				fail(code, msg)
				break
			}
			for _, l := range c.b.loggerLevels() {
				if wanted(rr.ConfigNames, l[0]) {
					e := kmsg.NewDescribeConfigsResponseResourceConfig()
					e.Name, e.Value = l[0], strp(l[1])
					e.Source = kmsg.ConfigSourceDynamicBrokerLoggerConfig
					e.ConfigType = kmsg.ConfigTypeString
					if synonyms {
						e.ConfigSynonyms = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{}
					}
					res.Configs = append(res.Configs, e)
				}
			}
		default:
			fail(kerr.InvalidRequest.Code, fmt.Sprintf("minikafka does not support describing %s configs", resourceTypeName(rr.ResourceType)))
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

// authorizeConfigResource applies the ACL of a config resource for op
// (DESCRIBE_CONFIGS or ALTER_CONFIGS); it returns the error code and
// message of a denial (or of an unknown resource type), 0 when allowed.
func (c *conn) authorizeConfigResource(rt kmsg.ConfigResourceType, name string, op az.Operation) (int16, string) {
	switch rt {
	case kmsg.ConfigResourceTypeTopic:
		if !c.authorizeOp(op, az.ResourceTopic, name) {
			return kerr.TopicAuthorizationFailed.Code, msgTopicAuthz
		}
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeClientMetrics:
		if !c.authorizeOp(op, az.ResourceCluster, az.ClusterName) {
			return kerr.ClusterAuthorizationFailed.Code, msgClusterAuthz
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !c.authorizeOp(op, az.ResourceGroup, name) {
			return kerr.GroupAuthorizationFailed.Code, msgGroupAuthz
		}
	default:
		return kerr.InvalidRequest.Code, fmt.Sprintf("Unexpected resource type %d for resource %s", int8(rt), name)
	}
	return 0, ""
}

// checkBrokerName checks a BROKER or BROKER_LOGGER resource name against
// this node's id, with Kafka's messages.
func (b *Broker) checkBrokerName(name, orEmpty string) (int16, string) {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return kerr.InvalidRequest.Code, fmt.Sprintf("Broker id must be an integer, but it is: %s", name)
	}
	if int32(id) != b.cfg.NodeID {
		return kerr.InvalidRequest.Code, fmt.Sprintf("Unexpected broker id, expected %d %sbut received %s", b.cfg.NodeID, orEmpty, name)
	}
	return 0, ""
}

func wanted(names []string, name string) bool {
	if names == nil {
		return true
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func resourceTypeName(rt kmsg.ConfigResourceType) string {
	switch rt {
	case kmsg.ConfigResourceTypeGroupConfig:
		return "GROUP"
	case kmsg.ConfigResourceTypeClientMetrics:
		return "CLIENT_METRICS"
	}
	return rt.String()
}

// loggerLevels names the broker's loggers and their effective levels
// (the lowest level each handler is enabled for), as BROKER_LOGGER shows
// Kafka's log4j loggers.
func (b *Broker) loggerLevels() [][2]string {
	return [][2]string{{"root", slogLevel(b.log)}, {"kafka.authorizer.logger", slogLevel(b.audit)}}
}

func slogLevel(l *slog.Logger) string {
	ctx := context.Background()
	for _, lv := range []struct {
		level slog.Level
		name  string
	}{{levelTrace, "TRACE"}, {slog.LevelDebug, "DEBUG"}, {slog.LevelInfo, "INFO"}, {slog.LevelWarn, "WARN"}, {slog.LevelError, "ERROR"}} {
		if l.Enabled(ctx, lv.level) {
			return lv.name
		}
	}
	return "OFF"
}

package broker

// IncrementalAlterConfigs (44), v0–1. Checks in Kafka's order: a resource
// named twice → 42 "Each resource must appear at most once." (every
// occurrence, before authorization); a key named twice → 42; a null value
// for SET/APPEND/SUBTRACT → 42. ACL per resource: TOPIC → Topic
// ALTER_CONFIGS (29); BROKER, BROKER_LOGGER, CLIENT_METRICS → Cluster
// ALTER_CONFIGS (31); GROUP → Group ALTER_CONFIGS (30). Topic configs are
// dynamic: SET, DELETE, APPEND and SUBTRACT (list keys only, else 40) are
// applied together after the whole resulting set validates (unknown key
// or bad value → 40 INVALID_CONFIG with Kafka's text), the topic must then
// exist (3), and validate_only stops before applying. Broker and logger
// configs are read-only here: 42 with the reason, after authorization.

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/protocol"
)

func init() { register(44, handleIncrementalAlterConfigs) }

func handleIncrementalAlterConfigs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	dups := duplicateResources(len(req.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return req.Resources[i].ResourceType, req.Resources[i].ResourceName
	})
	for i := range req.Resources {
		rr := &req.Resources[i]
		res := kmsg.NewIncrementalAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		var code int16
		var msg string
		if dups[i] {
			code, msg = kerr.InvalidRequest.Code, "Each resource must appear at most once."
		} else {
			ops := make([]configOp, len(rr.Configs))
			for j, cf := range rr.Configs {
				ops[j] = configOp{name: cf.Name, op: cf.Op, value: cf.Value}
			}
			code, msg = c.alterConfigResource(rr.ResourceType, rr.ResourceName, ops, false, req.ValidateOnly)
		}
		res.ErrorCode = code
		if msg != "" {
			res.ErrorMessage = strp(msg)
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

// configOp is one config change; legacy AlterConfigs entries are SETs.
type configOp struct {
	name  string
	op    kmsg.IncrementalAlterConfigOp
	value *string
}

// duplicateResources marks every occurrence of a resource named more than
// once.
func duplicateResources(n int, at func(int) (kmsg.ConfigResourceType, string)) []bool {
	type key struct {
		t    kmsg.ConfigResourceType
		name string
	}
	count := map[key]int{}
	for i := 0; i < n; i++ {
		t, name := at(i)
		count[key{t, name}]++
	}
	out := make([]bool, n)
	for i := 0; i < n; i++ {
		t, name := at(i)
		out[i] = count[key{t, name}] > 1
	}
	return out
}

// alterConfigResource validates, authorizes and applies the changes of one
// resource. legacy is AlterConfigs (the given keys replace the whole set).
func (c *conn) alterConfigResource(rt kmsg.ConfigResourceType, name string, ops []configOp, legacy, validateOnly bool) (int16, string) {
	seen := map[string]bool{}
	var nulls []string
	for _, o := range ops {
		if seen[o.name] {
			return kerr.InvalidRequest.Code, "Error due to duplicate config keys"
		}
		seen[o.name] = true
		if o.value == nil && (legacy || o.op != kmsg.IncrementalAlterConfigOpDelete) {
			nulls = append(nulls, o.name)
		}
	}
	if len(nulls) > 0 {
		return kerr.InvalidRequest.Code, "Null value not supported for : " + strings.Join(nulls, ", ")
	}
	switch rt {
	case kmsg.ConfigResourceTypeTopic:
	case kmsg.ConfigResourceTypeBroker:
		if name != "" {
			if code, msg := c.b.checkNodeName(name); code != 0 {
				return code, msg
			}
		}
	case kmsg.ConfigResourceTypeBrokerLogger:
		if legacy {
			return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown resource type %d", int8(rt))
		}
	case kmsg.ConfigResourceTypeGroupConfig, kmsg.ConfigResourceTypeClientMetrics:
	default:
		return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown resource type %d", int8(rt))
	}
	if code, msg := c.authorizeConfigResource(rt, name, az.OpAlterConfigs); code != 0 {
		return code, msg
	}
	switch rt {
	case kmsg.ConfigResourceTypeTopic:
		return c.b.alterTopicConfigs(c, name, ops, legacy, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		return kerr.InvalidRequest.Code, "minikafka does not support dynamic broker configs: set them in the broker configuration (server.properties or minikafka.Config)"
	case kmsg.ConfigResourceTypeBrokerLogger:
		return kerr.InvalidRequest.Code, "minikafka does not support changing log levels at runtime: configure the broker's slog handlers"
	}
	return kerr.InvalidRequest.Code, fmt.Sprintf("minikafka does not support altering %s configs", resourceTypeName(rt))
}

// checkNodeName is ConfigAdminManager.validateResourceNameIsCurrentNodeId.
func (b *Broker) checkNodeName(name string) (int16, string) {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return kerr.InvalidRequest.Code, fmt.Sprintf("Node id must be an integer, but it is: %s", name)
	}
	if int32(id) != b.cfg.NodeID {
		return kerr.InvalidRequest.Code, fmt.Sprintf("Unexpected broker id, expected %d, but received %s", b.cfg.NodeID, name)
	}
	return 0, ""
}

// alterTopicConfigs computes the topic's new explicit configs, validates
// all of them, checks the topic exists and (unless validateOnly) stores
// them. Changes to one broker's topics are serialized so that concurrent
// incremental changes are not lost.
func (b *Broker) alterTopicConfigs(c *conn, name string, ops []configOp, legacy, validateOnly bool) (int16, string) {
	if name == "" {
		return kerr.InvalidRequest.Code, "Default topic resources are not allowed."
	}
	if err := validateTopicName(name); err != nil {
		return kerr.InvalidTopicException.Code, err.Error()
	}
	b.topics.configMu.Lock()
	defer b.topics.configMu.Unlock()
	t := b.topics.get(name)
	cur := map[string]string{}
	if t != nil && !legacy {
		for k, v := range t.configs() {
			cur[k] = v
		}
	}
	for _, o := range ops {
		switch o.op {
		case kmsg.IncrementalAlterConfigOpSet:
			cur[o.name] = *o.value
		case kmsg.IncrementalAlterConfigOpDelete:
			delete(cur, o.name)
		case kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract:
			d := topicConfigByName[o.name]
			if d == nil || d.typ != kmsg.ConfigTypeList {
				return kerr.InvalidConfig.Code, fmt.Sprintf("Can't %s to key %s because its type is not LIST.", o.op, o.name)
			}
			old, ok := cur[o.name]
			if !ok {
				old = b.topicDefault(d)
			}
			cur[o.name] = editList(old, *o.value, o.op == kmsg.IncrementalAlterConfigOpAppend)
		default:
			return kerr.InvalidRequest.Code, fmt.Sprintf("Unknown operations type %d", int8(o.op))
		}
	}
	next := make(map[string]string, len(cur))
	for _, k := range sortedKeys(cur) {
		v, err := validateTopicConfig(k, cur[k])
		if err != nil {
			return kerr.InvalidConfig.Code, err.Error()
		}
		next[k] = v
	}
	if t == nil {
		return kerr.UnknownTopicOrPartition.Code, fmt.Sprintf("The topic '%s' does not exist.", name)
	}
	if validateOnly {
		return 0, ""
	}
	t.setConfigs(next)
	b.log.Info("altered topic configs", "topic", name, "configs", next, "principal", c.subject.User.String(), "legacy", legacy)
	return 0, ""
}

// editList appends (skipping values already present) or subtracts the
// comma-separated values of arg to or from the list value old.
func editList(old, arg string, appendOp bool) string {
	list := splitList(old)
	for _, v := range strings.Split(arg, ",") {
		i := indexOf(list, v)
		switch {
		case appendOp && i < 0:
			list = append(list, v)
		case !appendOp && i >= 0:
			list = append(list[:i], list[i+1:]...)
		}
	}
	return strings.Join(list, ",")
}

func indexOf(list []string, v string) int {
	for i, s := range list {
		if s == v {
			return i
		}
	}
	return -1
}

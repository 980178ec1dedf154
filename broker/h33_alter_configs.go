package broker

// AlterConfigs (33), v0–2, the legacy form: the given keys become the
// resource's whole set (keys not named are deleted). Checks in Kafka's
// order: a resource named twice → 42 "Each resource must appear at most
// once." (every occurrence, before authorization); a key named twice or a
// null value → 42; BROKER_LOGGER (not supported by this API) → 42. ACL
// per resource: TOPIC → Topic ALTER_CONFIGS (29); BROKER, CLIENT_METRICS →
// Cluster ALTER_CONFIGS (31); GROUP → Group ALTER_CONFIGS (30). Topic
// configs are validated as a whole (40), the topic must exist (3), and
// validate_only stops before applying. Broker configs are read-only here:
// 42 with the reason, after authorization.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/protocol"
)

func init() { register(33, handleAlterConfigs) }

func handleAlterConfigs(c *conn, r *protocol.Request) (kmsg.Response, error) {
	req := r.Body.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	dups := duplicateResources(len(req.Resources), func(i int) (kmsg.ConfigResourceType, string) {
		return req.Resources[i].ResourceType, req.Resources[i].ResourceName
	})
	for i := range req.Resources {
		rr := &req.Resources[i]
		res := kmsg.NewAlterConfigsResponseResource()
		res.ResourceType, res.ResourceName = rr.ResourceType, rr.ResourceName
		var code int16
		var msg string
		if dups[i] {
			code, msg = kerr.InvalidRequest.Code, "Each resource must appear at most once."
		} else {
			ops := make([]configOp, len(rr.Configs))
			for j, cf := range rr.Configs {
				ops[j] = configOp{name: cf.Name, op: kmsg.IncrementalAlterConfigOpSet, value: cf.Value}
			}
			code, msg = c.alterConfigResource(rr.ResourceType, rr.ResourceName, ops, true, req.ValidateOnly)
		}
		res.ErrorCode = code
		if msg != "" {
			res.ErrorMessage = strp(msg)
		}
		resp.Resources = append(resp.Resources, res)
	}
	return resp, nil
}

package broker

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

// levelTrace is the audit level of checks that only describe or filter
// access (Kafka logs them at TRACE).
const levelTrace = slog.LevelDebug - 4

// authorize is the single enforcement point: it asks the authorizer, counts
// the decision and writes the audit line. With no authorizer everything is
// allowed (Kafka without authorizer.class.name).
func (c *conn) authorize(a az.Action) bool {
	z := c.b.cfg.Authorizer
	if z == nil {
		return true
	}
	d := z.Authorize(&c.rc, a)
	c.record(a, d)
	return d.Allowed()
}

// authorizeOp is authorize for a freshly built action.
func (c *conn) authorizeOp(op az.Operation, rt az.ResourceType, name string) bool {
	return c.authorize(az.NewAction(op, rt, name))
}

// authorizeQuiet is a check whose denial only filters (logIfDenied=false).
func (c *conn) authorizeQuiet(op az.Operation, rt az.ResourceType, name string) bool {
	a := az.NewAction(op, rt, name)
	a.LogIfDenied = false
	return c.authorize(a)
}

// authorizeByResourceType answers Kafka's authorizeByResourceType (may
// the caller perform op on at least one resource of type rt?). As Kafka,
// the audit log shows only the probe on the literal resource "hardcode"
// (DEBUG when allowed, TRACE when denied); when the probe is denied the
// final answer comes from the authorizer's ACL index and is counted in the
// metrics, with an audit line at TRACE.
func (c *conn) authorizeByResourceType(op az.Operation, rt az.ResourceType) bool {
	z := c.b.cfg.Authorizer
	if z == nil {
		return true
	}
	probe := az.ProbeAction(op, rt)
	d := z.Authorize(&c.rc, probe)
	c.audit(probe, d)
	if d.Allowed() {
		c.count(probe, d)
		return true
	}
	if brt, ok := z.(az.ByResourceTypeAuthorizer); ok {
		d = brt.AuthorizeByResourceType(&c.rc, op, rt)
	}
	final := probe
	final.LogIfAllowed = false
	c.record(final, d)
	return d.Allowed()
}

// authorizedOps computes an authorized-operations bitfield (no audit above
// TRACE, as Kafka's AuthHelper.authorizedOperations).
func (c *conn) authorizedOps(rt az.ResourceType, name string) int32 {
	var bits int32
	for _, op := range az.SupportedOperations(rt) {
		a := az.Action{Operation: op, Resource: az.Resource{Type: rt, Name: name}, RefCount: 1}
		if c.authorize(a) {
			bits |= 1 << op
		}
	}
	return bits
}

// record counts a decision and writes its audit line.
func (c *conn) record(a az.Action, d az.Decision) {
	c.count(a, d)
	c.audit(a, d)
}

func (c *conn) count(a az.Action, d az.Decision) {
	c.b.m.decision(a.Operation, a.Resource.Type, d.Allowed())
}

// audit writes Kafka's audit line at Kafka's level: an allowed action at
// DEBUG (TRACE when LogIfAllowed is false), a denied one at INFO (TRACE
// when LogIfDenied is false).
func (c *conn) audit(a az.Action, d az.Decision) {
	level := levelTrace
	if d.Allowed() && a.LogIfAllowed {
		level = slog.LevelDebug
	} else if !d.Allowed() && a.LogIfDenied {
		level = slog.LevelInfo
	}
	if !c.b.audit.Enabled(context.Background(), level) {
		return
	}
	c.b.audit.Log(context.Background(), level, auditMessage(&c.rc, a, d),
		slog.String("principal", c.rc.Subject.User.String()),
		slog.Any("groups", groupNames(c)),
		slog.String("decision", d.Result.String()),
		slog.String("operation", a.Operation.String()),
		slog.String("resource", a.Resource.Type.PascalName()+":LITERAL:"+a.Resource.Name),
		slog.String("host", c.rc.Host),
		slog.String("request", apiName(c.rc.APIKey)),
		slog.String("rule", d.RuleString()),
		slog.String("matched_principal", matchedPrincipal(d)),
	)
}

func matchedPrincipal(d az.Decision) string {
	if d.Principal.Type == "" {
		return ""
	}
	return d.Principal.String()
}

func groupNames(c *conn) []string {
	if c.rc.Subject == nil {
		return nil
	}
	out := make([]string, len(c.rc.Subject.Groups))
	for i, g := range c.rc.Subject.Groups {
		out[i] = g.String()
	}
	return out
}

// auditMessage renders Kafka's StandardAuthorizer audit line (spec §3).
func auditMessage(rc *az.RequestContext, a az.Action, d az.Decision) string {
	var sb strings.Builder
	sb.WriteString("Principal = ")
	sb.WriteString(rc.Subject.User.String())
	if d.Allowed() {
		sb.WriteString(" is Allowed operation = ")
	} else {
		sb.WriteString(" is Denied operation = ")
	}
	sb.WriteString(a.Operation.String())
	sb.WriteString(" from host = ")
	sb.WriteString(rc.Host)
	sb.WriteString(" on resource = ")
	sb.WriteString(a.Resource.Type.PascalName())
	sb.WriteString(":LITERAL:")
	sb.WriteString(a.Resource.Name)
	sb.WriteString(" for request = ")
	sb.WriteString(apiName(rc.APIKey))
	sb.WriteString(" with resourceRefCount = ")
	sb.WriteString(strconv.Itoa(a.RefCount))
	sb.WriteString(" based on rule ")
	sb.WriteString(d.RuleString())
	return sb.String()
}

// kafkaAPINames are Kafka's ApiKeys names where they differ from kmsg's
// (the audit line prints Kafka's: InitProducerId, not InitProducerID).
var kafkaAPINames = map[int16]string{
	4:  "LeaderAndIsr",
	17: "SaslHandshake",
	22: "InitProducerId",
	29: "DescribeAcls",
	30: "CreateAcls",
	31: "DeleteAcls",
	36: "SaslAuthenticate",
	45: "AlterPartitionReassignments",
	50: "DescribeUserScramCredentials",
	51: "AlterUserScramCredentials",
	67: "AllocateProducerIds",
}

// apiName returns Kafka's name of an API key (ApiKeys.name).
func apiName(key int16) string {
	if n, ok := kafkaAPINames[key]; ok {
		return n
	}
	return kmsg.NameForKey(key)
}

package minikafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/authorizer/acl"
	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/bolt"
)

// AuthorizerConfig configures authorization, as Kafka's
// authorizer.class.name, super.users and allow.everyone.if.no.acl.found.
//
// With authorization on, every request is decided by the default chain:
// super users, then Custom (if set), then minikafka's ACL authorizer
// (Kafka's StandardAuthorizer semantics, extended to the Group: principals
// of a subject; see package authorizer/acl), then AllowEveryoneIfNoACL
// when no ACL applies to the resource at all. ACLs are kept in bbolt under
// DataDir when it is set (they survive restarts), in memory otherwise, and
// are managed with CreateAcls / DescribeAcls / DeleteAcls. With
// authorization off every request is allowed and the ACL APIs answer
// SECURITY_DISABLED, as Kafka without an authorizer.
type AuthorizerConfig struct {
	// Enabled turns authorization on (authorizer.class.name set to
	// org.apache.kafka.metadata.authorizer.StandardAuthorizer or the old
	// kafka.security.authorizer.AclAuthorizer). Setting Custom also turns
	// it on.
	Enabled bool
	// SuperUsers (super.users) bypass every ACL: "Type:name" entries,
	// matched exactly against the user principal and each of its groups
	// (so "Group:admins" makes every member a super user). User:* is not a
	// wildcard here.
	SuperUsers []string
	// AllowEveryoneIfNoACL is allow.everyone.if.no.acl.found: allow an
	// action on a resource no ACL applies to (default: deny).
	AllowEveryoneIfNoACL bool
	// ACLs are added at startup if not already stored (idempotent across
	// restarts). Each must pass CreateAcls validation.
	ACLs []authorizer.ACL
	// Custom is asked after the super users and before the ACLs; it may
	// answer NoOpinion to defer to them.
	Custom authorizer.Authorizer
}

func (c *AuthorizerConfig) enabled() bool { return c.Enabled || c.Custom != nil }

// KafkaAuthorizerClasses are the authorizer.class.name values that select
// minikafka's ACL authorizer.
var KafkaAuthorizerClasses = []string{
	"org.apache.kafka.metadata.authorizer.StandardAuthorizer",
	"kafka.security.authorizer.AclAuthorizer",
}

func init() {
	wirers = append(wirers, wireAuthorizer)
	propertySections = append(propertySections, authorizerProperties)
}

// wireAuthorizer builds the authorizer chain and the ACL store.
func wireAuthorizer(mb *Broker, bc *broker.Config) error {
	ac := &mb.cfg.Authorizer
	if !ac.enabled() {
		if len(ac.SuperUsers) > 0 || len(ac.ACLs) > 0 || ac.AllowEveryoneIfNoACL {
			return errors.New("minikafka: config: Authorizer.SuperUsers, ACLs or AllowEveryoneIfNoACL are set but authorization is off (set Authorizer.Enabled, or authorizer.class.name)")
		}
		return nil
	}
	var supers []principal.Principal
	for _, s := range ac.SuperUsers {
		p, err := principal.Parse(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("minikafka: config: super.users: %w", err)
		}
		supers = append(supers, p)
	}
	var store storage.ACLStore
	db, err := mb.boltDB()
	if err != nil {
		return fmt.Errorf("minikafka: %w", err)
	}
	if db != nil {
		s, err := bolt.NewACLStore(db)
		if err != nil {
			return fmt.Errorf("minikafka: %w", err)
		}
		store = s
	}
	z := acl.New(store)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := z.Load(ctx); err != nil {
		return fmt.Errorf("minikafka: loading ACLs: %w", err)
	}
	if err := z.Seed(ctx, ac.ACLs); err != nil {
		return fmt.Errorf("minikafka: config: seeding ACLs: %w", err)
	}
	chain := &authorizer.Chain{SuperUsers: supers, AllowEveryoneIfNoACL: ac.AllowEveryoneIfNoACL}
	if ac.Custom != nil {
		chain.Authorizers = append(chain.Authorizers, ac.Custom)
	}
	chain.Authorizers = append(chain.Authorizers, z)
	bc.Authorizer = chain
	bc.ACLs = z
	mb.logger.Info("authorization enabled", "acls", z.Len(), "super_users", len(supers),
		"allow_everyone_if_no_acl_found", ac.AllowEveryoneIfNoACL, "persistent", store != nil, "custom", ac.Custom != nil)
	return nil
}

// aclPropertyPrefix starts the keys that seed ACLs from a properties file:
//
//	minikafka.acl.<id>.principal     = User:alice       (required)
//	minikafka.acl.<id>.operation     = WRITE,DESCRIBE   (required; one ACL per operation)
//	minikafka.acl.<id>.resource.type = TOPIC            (required)
//	minikafka.acl.<id>.resource.name = orders           (required; * for every resource)
//	minikafka.acl.<id>.pattern.type  = LITERAL          (LITERAL or PREFIXED; default LITERAL)
//	minikafka.acl.<id>.permission    = ALLOW            (ALLOW or DENY; default ALLOW)
//	minikafka.acl.<id>.host          = *                (default *)
//
// <id> is any name grouping the keys of one entry.
const aclPropertyPrefix = "minikafka.acl."

var aclPropertyFields = []string{"principal", "operation", "resource.type", "resource.name", "pattern.type", "permission", "host"}

// authorizerProperties reads authorizer.class.name, super.users,
// allow.everyone.if.no.acl.found and the minikafka.acl.* seeds. As in
// Kafka, super.users and allow.everyone.if.no.acl.found have no effect
// without an authorizer class.
func authorizerProperties(p *Properties, c *Config) error {
	class, _ := p.Get("authorizer.class.name")
	supers, hasSupers := p.Get("super.users")
	allow, hasAllow := p.Get("allow.everyone.if.no.acl.found")
	acls, err := aclsFromProperties(p)
	if err != nil {
		return err
	}
	if class == "" {
		if len(acls) > 0 {
			return p.Errorf(p.WithPrefix(aclPropertyPrefix)[0], "ACLs are configured but authorizer.class.name is not set")
		}
		return nil
	}
	known := false
	for _, k := range KafkaAuthorizerClasses {
		known = known || class == k
	}
	if !known {
		return p.Errorf("authorizer.class.name", "authorizer %q is not available in minikafka (use %s)", class, strings.Join(KafkaAuthorizerClasses, " or "))
	}
	c.Authorizer.Enabled = true
	if hasSupers {
		ps, err := authorizer.ParseSuperUsers(supers)
		if err != nil {
			return p.Errorf("super.users", "%v", err)
		}
		for _, s := range ps {
			c.Authorizer.SuperUsers = append(c.Authorizer.SuperUsers, s.String())
		}
	}
	if hasAllow {
		c.Authorizer.AllowEveryoneIfNoACL = authorizer.ParseBoolean(allow)
	}
	c.Authorizer.ACLs = append(c.Authorizer.ACLs, acls...)
	return nil
}

// aclsFromProperties parses the minikafka.acl.<id>.* entries, in id order.
func aclsFromProperties(p *Properties) ([]authorizer.ACL, error) {
	ids := map[string]bool{}
	for _, k := range p.WithPrefix(aclPropertyPrefix) {
		rest := strings.TrimPrefix(k, aclPropertyPrefix)
		id, field, ok := strings.Cut(rest, ".")
		known := false
		for _, f := range aclPropertyFields {
			known = known || field == f
		}
		if !ok || id == "" || !known {
			return nil, p.Errorf(k, "unknown ACL key (want %s<id>.{%s})", aclPropertyPrefix, strings.Join(aclPropertyFields, ","))
		}
		ids[id] = true
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	var out []authorizer.ACL
	for _, id := range sorted {
		acls, err := aclFromProperties(p, aclPropertyPrefix+id+".")
		if err != nil {
			return nil, err
		}
		out = append(out, acls...)
	}
	return out, nil
}

func aclFromProperties(p *Properties, prefix string) ([]authorizer.ACL, error) {
	anchor := p.WithPrefix(prefix)[0] // errors about a missing key name the entry's first key
	get := func(field, def string) (string, string, error) {
		k := prefix + field
		v, ok := p.Get(k)
		if !ok || v == "" {
			if def == "" {
				return "", k, p.Errorf(anchor, "%s%s is required", prefix, field)
			}
			return def, k, nil
		}
		return v, k, nil
	}
	a := authorizer.ACL{}
	var k, v string
	var err error
	if a.Principal, _, err = get("principal", ""); err != nil {
		return nil, err
	}
	if _, err := principal.Parse(a.Principal); err != nil {
		return nil, p.Errorf(prefix+"principal", "%v", err)
	}
	if v, k, err = get("resource.type", ""); err != nil {
		return nil, err
	}
	if a.ResourceType, err = authorizer.ParseResourceType(v); err != nil {
		return nil, p.Errorf(k, "%v", err)
	}
	if a.ResourceName, _, err = get("resource.name", ""); err != nil {
		return nil, err
	}
	if v, k, err = get("pattern.type", "LITERAL"); err != nil {
		return nil, err
	}
	if a.PatternType, err = authorizer.ParsePatternType(v); err != nil || (a.PatternType != authorizer.PatternLiteral && a.PatternType != authorizer.PatternPrefixed) {
		return nil, p.Errorf(k, "pattern type %q: want LITERAL or PREFIXED", v)
	}
	if v, k, err = get("permission", "ALLOW"); err != nil {
		return nil, err
	}
	switch strings.ToUpper(v) {
	case "ALLOW":
		a.Permission = authorizer.PermAllow
	case "DENY":
		a.Permission = authorizer.PermDeny
	default:
		return nil, p.Errorf(k, "permission %q: want ALLOW or DENY", v)
	}
	if a.Host, _, err = get("host", "*"); err != nil {
		return nil, err
	}
	if v, k, err = get("operation", ""); err != nil {
		return nil, err
	}
	var out []authorizer.ACL
	for _, o := range strings.Split(v, ",") {
		op, err := authorizer.ParseOperation(o)
		if err != nil {
			return nil, p.Errorf(k, "%v", err)
		}
		b := a
		b.Operation = op
		if e := authorizer.ValidateNewACL(&b); e != nil {
			return nil, p.Errorf(k, "invalid ACL: %s", e.Message)
		}
		out = append(out, b)
	}
	return out, nil
}

package minikafka

import (
	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
)

// WithAuthorization turns authorization on (Kafka's StandardAuthorizer
// semantics) with no ACLs: only super users may do anything until ACLs
// are created.
func WithAuthorization() Option { return func(c *Config) { c.Authorizer.Enabled = true } }

// WithACLs turns authorization on and seeds acls at startup.
func WithACLs(acls ...authorizer.ACL) Option {
	return func(c *Config) {
		c.Authorizer.Enabled = true
		c.Authorizer.ACLs = append(c.Authorizer.ACLs, acls...)
	}
}

// WithSuperUsers turns authorization on and adds super users ("User:admin",
// "Group:admins", ...).
func WithSuperUsers(principals ...string) Option {
	return func(c *Config) {
		c.Authorizer.Enabled = true
		c.Authorizer.SuperUsers = append(c.Authorizer.SuperUsers, principals...)
	}
}

// WithAllowEveryoneIfNoACL turns authorization on with
// allow.everyone.if.no.acl.found=true.
func WithAllowEveryoneIfNoACL() Option {
	return func(c *Config) {
		c.Authorizer.Enabled = true
		c.Authorizer.AllowEveryoneIfNoACL = true
	}
}

// WithAuthorizer plugs a custom authorizer in after the super users and
// before the ACLs (it may answer NoOpinion to defer to them).
func WithAuthorizer(z authorizer.Authorizer) Option {
	return func(c *Config) { c.Authorizer.Custom = z }
}

// WithPrincipalBuilder sets the builder of every connection's subject
// (Config.Principals.Builder), for example one that adds Group:
// principals.
func WithPrincipalBuilder(b principal.Builder) Option {
	return func(c *Config) { c.Principals.Builder = b }
}

// AllowACL is an ALLOW ACL from any host on a LITERAL resource name ("*"
// for every resource of the type).
func AllowACL(principal string, op authorizer.Operation, rt authorizer.ResourceType, name string) authorizer.ACL {
	return authorizer.ACL{ResourceType: rt, ResourceName: name, PatternType: authorizer.PatternLiteral,
		Principal: principal, Host: "*", Operation: op, Permission: authorizer.PermAllow}
}

// DenyACL is AllowACL's DENY twin.
func DenyACL(principal string, op authorizer.Operation, rt authorizer.ResourceType, name string) authorizer.ACL {
	a := AllowACL(principal, op, rt, name)
	a.Permission = authorizer.PermDeny
	return a
}

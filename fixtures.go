package minikafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/sasl"
)

// Fixtures are what a test or CI broker starts with: users (PLAIN and
// SCRAM), OAuth clients of the development issuer, static groups, topics,
// super users and ACLs. They come from a YAML file (LoadFixtures,
// `minikafka serve --fixtures`, minikafka.fixtures.file) or from Go, and
// are applied by New (Config.Fixtures). The file format, every key
// optional:
//
//	users:
//	  - name: alice
//	    password: alice-secret
//	    mechanisms: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]  # the default: all three
//	    scram_iterations: 4096                             # 4096 (default) to 16384
//	oauth_clients:                     # turns the development token issuer on
//	  - id: billing-service
//	    secret: billing-secret
//	    scopes: [kafka]                # scopes it may request (default: any)
//	    claims: {groups: [billing]}    # added to its tokens; groups also turn the jwt resolver on
//	groups:                            # user (principal name) -> groups, as Group:<name> principals
//	  alice: [developers]
//	topics:
//	  - name: orders
//	    partitions: 3                  # default num.partitions
//	    configs: {retention.ms: 86400000}
//	super_users: [User:admin]          # super.users (turns authorization on)
//	allow_everyone_if_no_acl_found: false
//	acls:                              # turn authorization on
//	  - principal: User:alice          # or Group:developers, User:*
//	    permission: allow              # allow (default) or deny
//	    operations: [write, describe]
//	    topic: orders                  # exactly one of topic, group, transactional_id, cluster: true
//	    pattern: literal               # literal (default) or prefixed
//	    host: "*"                      # default *
//
// Unknown keys and invalid values are errors naming file:line. SCRAM users
// are seeded like Config.SASL.ScramUsers (once per data directory).
type Fixtures struct {
	Users        []FixtureUser
	OAuthClients []FixtureOAuthClient
	// Groups maps a user's principal name to its groups.
	Groups                    map[string][]string
	Topics                    []TopicConfig
	SuperUsers                []string
	AllowEveryoneIfNoACLFound bool
	ACLs                      []authorizer.ACL
}

// FixtureUser is a user who logs in with a password.
type FixtureUser struct {
	Name     string
	Password string
	// Mechanisms are PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (empty: all).
	Mechanisms []string
	// ScramIterations is between 4096 and 16384 (0: 4096).
	ScramIterations int
}

// FixtureOAuthClient is an OAuth client of the development issuer.
type FixtureOAuthClient struct {
	ID, Secret string
	Scopes     []string
	Claims     map[string]any
}

// TopicConfig is a topic created at startup (Config.Topics).
type TopicConfig struct {
	Name string
	// Partitions is the partition count (0: num.partitions).
	Partitions int32
	// Configs are topic configs (retention.ms, cleanup.policy, ...).
	Configs map[string]string
}

// WithFixtures applies f to the broker Start builds.
func WithFixtures(f *Fixtures) Option { return func(c *Config) { c.Fixtures = f } }

// LoadFixtures reads a fixtures file. Errors name file:line.
func LoadFixtures(path string) (*Fixtures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	return ParseFixtures(data, path)
}

// ParseFixtures parses fixtures in YAML; file names them in errors.
func ParseFixtures(data []byte, file string) (*Fixtures, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Fixtures{}, nil
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	p := &fixtureParser{file: file}
	f := &Fixtures{}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if err := p.mapping(root, func(key string, v *yaml.Node) error {
		switch key {
		case "users":
			return p.list(v, func(n *yaml.Node) error { return p.user(f, n) })
		case "oauth_clients":
			return p.list(v, func(n *yaml.Node) error { return p.oauthClient(f, n) })
		case "groups":
			return p.groups(f, v)
		case "topics":
			return p.list(v, func(n *yaml.Node) error { return p.topic(f, n) })
		case "super_users":
			supers, err := p.strings(v)
			if err != nil {
				return err
			}
			for i, s := range supers {
				if _, err := principal.Parse(s); err != nil {
					at := v // one string, or an alias of the list
					if v.Kind == yaml.SequenceNode && i < len(v.Content) {
						at = v.Content[i]
					}
					return p.errorf(at, "super_users: %v", err)
				}
			}
			f.SuperUsers = append(f.SuperUsers, supers...)
			return nil
		case "allow_everyone_if_no_acl_found":
			return p.decode(v, &f.AllowEveryoneIfNoACLFound)
		case "acls":
			return p.list(v, func(n *yaml.Node) error { return p.acl(f, n) })
		}
		return p.errorf(v, "unknown key %q (want users, oauth_clients, groups, topics, super_users, allow_everyone_if_no_acl_found, acls)", key)
	}); err != nil {
		return nil, err
	}
	return f, nil
}

type fixtureParser struct {
	file string
	// lines of what must be unique
	users, clients, topics map[string]int
}

func (p *fixtureParser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
}

// mapping calls fn for each key of a mapping node, in order.
func (p *fixtureParser) mapping(n *yaml.Node, fn func(key string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errorf(n, "expected a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return p.errorf(k, "key %q given twice", k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *fixtureParser) list(n *yaml.Node, fn func(*yaml.Node) error) error {
	if n.Kind != yaml.SequenceNode {
		return p.errorf(n, "expected a list")
	}
	for _, e := range n.Content {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (p *fixtureParser) decode(n *yaml.Node, dst any) error {
	if err := n.Decode(dst); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return p.errorf(n, "%s", strings.TrimPrefix(te.Errors[0], fmt.Sprintf("line %d: ", n.Line)))
		}
		return p.errorf(n, "%v", err)
	}
	return nil
}

// strings reads a list of strings, or one string.
func (p *fixtureParser) strings(n *yaml.Node) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}, nil
	}
	var out []string
	if err := p.decode(n, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (p *fixtureParser) required(n *yaml.Node, fields map[string]*yaml.Node, names ...string) error {
	for _, name := range names {
		if fields[name] == nil || fields[name].Value == "" && fields[name].Kind == yaml.ScalarNode {
			return p.errorf(n, "%s is required", name)
		}
	}
	return nil
}

// fields collects a mapping's values, refusing keys not in allowed.
func (p *fixtureParser) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	err := p.mapping(n, func(key string, v *yaml.Node) error {
		if !slices.Contains(allowed, key) {
			return p.errorf(v, "%s: unknown key %q (want %s)", what, key, strings.Join(allowed, ", "))
		}
		out[key] = v
		return nil
	})
	return out, err
}

func (p *fixtureParser) user(f *Fixtures, n *yaml.Node) error {
	fs, err := p.fields(n, "user", "name", "password", "mechanisms", "scram_iterations")
	if err != nil {
		return err
	}
	if err := p.required(n, fs, "name", "password"); err != nil {
		return err
	}
	u := FixtureUser{Name: fs["name"].Value, Password: fs["password"].Value}
	if p.users == nil {
		p.users = map[string]int{}
	}
	if line, dup := p.users[u.Name]; dup {
		return p.errorf(n, "user %q is already defined at line %d", u.Name, line)
	}
	p.users[u.Name] = n.Line
	if m := fs["mechanisms"]; m != nil {
		mechs, err := p.strings(m)
		if err != nil {
			return err
		}
		for _, mech := range mechs {
			switch strings.ToUpper(mech) {
			case sasl.Plain, sasl.ScramSHA256, sasl.ScramSHA512:
				u.Mechanisms = append(u.Mechanisms, strings.ToUpper(mech))
			default:
				return p.errorf(m, "user %s: mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", u.Name, mech)
			}
		}
	}
	if it := fs["scram_iterations"]; it != nil {
		if err := p.decode(it, &u.ScramIterations); err != nil {
			return err
		}
		if u.ScramIterations < 4096 || u.ScramIterations > 16384 {
			return p.errorf(it, "user %s: scram_iterations must be between 4096 and 16384, got %d", u.Name, u.ScramIterations)
		}
	}
	f.Users = append(f.Users, u)
	return nil
}

func (p *fixtureParser) oauthClient(f *Fixtures, n *yaml.Node) error {
	fs, err := p.fields(n, "oauth client", "id", "secret", "scopes", "claims")
	if err != nil {
		return err
	}
	if err := p.required(n, fs, "id", "secret"); err != nil {
		return err
	}
	c := FixtureOAuthClient{ID: fs["id"].Value, Secret: fs["secret"].Value}
	if p.clients == nil {
		p.clients = map[string]int{}
	}
	if line, dup := p.clients[c.ID]; dup {
		return p.errorf(n, "oauth client %q is already defined at line %d", c.ID, line)
	}
	p.clients[c.ID] = n.Line
	if s := fs["scopes"]; s != nil {
		if c.Scopes, err = p.strings(s); err != nil {
			return err
		}
	}
	if cl := fs["claims"]; cl != nil {
		if cl.Kind != yaml.MappingNode {
			return p.errorf(cl, "oauth client %s: claims: expected a mapping", c.ID)
		}
		if err := p.decode(cl, &c.Claims); err != nil {
			return err
		}
		for _, reserved := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti"} {
			if _, ok := c.Claims[reserved]; ok {
				return p.errorf(cl, "oauth client %s: claim %q is set by the issuer", c.ID, reserved)
			}
		}
	}
	f.OAuthClients = append(f.OAuthClients, c)
	return nil
}

func (p *fixtureParser) groups(f *Fixtures, n *yaml.Node) error {
	if f.Groups == nil {
		f.Groups = map[string][]string{}
	}
	return p.mapping(n, func(user string, v *yaml.Node) error {
		gs, err := p.strings(v)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if strings.TrimSpace(g) == "" {
				return p.errorf(v, "groups of %s: empty group name", user)
			}
		}
		f.Groups[user] = gs
		return nil
	})
}

func (p *fixtureParser) topic(f *Fixtures, n *yaml.Node) error {
	fs, err := p.fields(n, "topic", "name", "partitions", "configs")
	if err != nil {
		return err
	}
	if err := p.required(n, fs, "name"); err != nil {
		return err
	}
	t := TopicConfig{Name: fs["name"].Value}
	if p.topics == nil {
		p.topics = map[string]int{}
	}
	if line, dup := p.topics[t.Name]; dup {
		return p.errorf(n, "topic %q is already defined at line %d", t.Name, line)
	}
	p.topics[t.Name] = n.Line
	if v := fs["partitions"]; v != nil {
		if err := p.decode(v, &t.Partitions); err != nil {
			return err
		}
		if t.Partitions <= 0 {
			return p.errorf(v, "topic %s: partitions must be positive, got %d", t.Name, t.Partitions)
		}
	}
	if v := fs["configs"]; v != nil {
		t.Configs = map[string]string{}
		if err := p.mapping(v, func(key string, val *yaml.Node) error {
			if val.Kind != yaml.ScalarNode {
				return p.errorf(val, "topic %s: config %s: expected a value", t.Name, key)
			}
			t.Configs[key] = val.Value
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := broker.ValidateTopic(t.Name, t.Partitions, t.Configs); err != nil {
		return p.errorf(n, "topic %s: %v", t.Name, err)
	}
	f.Topics = append(f.Topics, t)
	return nil
}

func (p *fixtureParser) acl(f *Fixtures, n *yaml.Node) error {
	fs, err := p.fields(n, "acl", "principal", "permission", "operations", "topic", "group", "transactional_id", "cluster", "pattern", "host")
	if err != nil {
		return err
	}
	if err := p.required(n, fs, "principal", "operations"); err != nil {
		return err
	}
	a := authorizer.ACL{Principal: fs["principal"].Value, Host: "*", PatternType: authorizer.PatternLiteral, Permission: authorizer.PermAllow}
	if _, err := principal.Parse(a.Principal); err != nil {
		return p.errorf(fs["principal"], "acl: %v", err)
	}
	var res []string
	for _, k := range []string{"topic", "group", "transactional_id", "cluster"} {
		if fs[k] != nil {
			res = append(res, k)
		}
	}
	if len(res) != 1 {
		return p.errorf(n, "acl: name exactly one resource: topic, group, transactional_id or cluster: true (got %d)", len(res))
	}
	switch v := fs[res[0]]; res[0] {
	case "topic":
		a.ResourceType, a.ResourceName = authorizer.ResourceTopic, v.Value
	case "group":
		a.ResourceType, a.ResourceName = authorizer.ResourceGroup, v.Value
	case "transactional_id":
		a.ResourceType, a.ResourceName = authorizer.ResourceTransactionalID, v.Value
	case "cluster":
		var on bool
		if err := p.decode(v, &on); err != nil || !on {
			return p.errorf(v, "acl: cluster: want true")
		}
		a.ResourceType, a.ResourceName = authorizer.ResourceCluster, authorizer.ClusterName
	}
	if v := fs["permission"]; v != nil {
		switch strings.ToLower(v.Value) {
		case "allow":
		case "deny":
			a.Permission = authorizer.PermDeny
		default:
			return p.errorf(v, "acl: permission %q: want allow or deny", v.Value)
		}
	}
	if v := fs["pattern"]; v != nil {
		pt, err := authorizer.ParsePatternType(v.Value)
		if err != nil || (pt != authorizer.PatternLiteral && pt != authorizer.PatternPrefixed) {
			return p.errorf(v, "acl: pattern %q: want literal or prefixed", v.Value)
		}
		a.PatternType = pt
	}
	if v := fs["host"]; v != nil {
		a.Host = v.Value
	}
	ops, err := p.strings(fs["operations"])
	if err != nil {
		return err
	}
	for _, o := range ops {
		op, err := authorizer.ParseOperation(o)
		if err != nil {
			return p.errorf(fs["operations"], "acl: %v", err)
		}
		b := a
		b.Operation = op
		if e := authorizer.ValidateNewACL(&b); e != nil {
			return p.errorf(n, "acl: invalid ACL: %s", e.Message)
		}
		f.ACLs = append(f.ACLs, b)
	}
	return nil
}

// apply merges the fixtures into c; it copies every map and slice of c it
// changes, so a Config shared by several brokers is not modified.
func (f *Fixtures) apply(c *Config) error {
	if err := f.applyUsers(c); err != nil {
		return err
	}
	if len(f.OAuthClients) > 0 {
		c.OAuth.Issuer.Enable = true
		clients := make(map[string]OAuthIssuerClient, len(c.OAuth.Issuer.Clients)+len(f.OAuthClients))
		for id, cl := range c.OAuth.Issuer.Clients {
			clients[id] = cl
		}
		jwtGroups := false
		claim := c.Principals.Groups.JWT.Claim
		if claim == "" {
			claim = "groups"
		}
		for _, fc := range f.OAuthClients {
			clients[fc.ID] = OAuthIssuerClient{Secret: fc.Secret, Scopes: fc.Scopes, Claims: fc.Claims}
			_, has := fc.Claims[claim]
			jwtGroups = jwtGroups || has
		}
		c.OAuth.Issuer.Clients = clients
		if jwtGroups && !slices.Contains(c.Principals.Groups.Resolvers, ResolverJWT) {
			c.Principals.Groups.Resolvers = append([]string{ResolverJWT}, c.Principals.Groups.Resolvers...)
		}
	}
	if len(f.Groups) > 0 {
		r := staticGroups(f.Groups)
		if c.Principals.Groups.Resolver != nil {
			c.Principals.Groups.Resolver = principal.Chain{c.Principals.Groups.Resolver, r}
		} else {
			c.Principals.Groups.Resolver = r
		}
	}
	c.Topics = append(slices.Clip(c.Topics), f.Topics...)
	if len(f.ACLs) > 0 || len(f.SuperUsers) > 0 || f.AllowEveryoneIfNoACLFound {
		c.Authorizer.Enabled = true
		c.Authorizer.ACLs = append(slices.Clip(c.Authorizer.ACLs), f.ACLs...)
		c.Authorizer.SuperUsers = append(slices.Clip(c.Authorizer.SuperUsers), f.SuperUsers...)
		c.Authorizer.AllowEveryoneIfNoACL = c.Authorizer.AllowEveryoneIfNoACL || f.AllowEveryoneIfNoACLFound
	}
	return nil
}

func (f *Fixtures) applyUsers(c *Config) error {
	if len(f.Users) == 0 {
		return nil
	}
	plain := make(map[string]string, len(c.SASL.PlainUsers)+len(f.Users))
	for k, v := range c.SASL.PlainUsers {
		plain[k] = v
	}
	listeners := slices.Clone(c.Listeners)
	for i := range listeners {
		if listeners[i].PlainUsers != nil {
			m := make(map[string]string, len(listeners[i].PlainUsers))
			for k, v := range listeners[i].PlainUsers {
				m[k] = v
			}
			listeners[i].PlainUsers = m
		}
	}
	scram := slices.Clip(c.SASL.ScramUsers)
	for _, u := range f.Users {
		mechs := u.Mechanisms
		if len(mechs) == 0 {
			mechs = []string{sasl.Plain, sasl.ScramSHA256, sasl.ScramSHA512}
		}
		for _, m := range mechs {
			if m == sasl.Plain {
				plain[u.Name] = u.Password
				for i := range listeners {
					if listeners[i].PlainUsers != nil {
						listeners[i].PlainUsers[u.Name] = u.Password
					}
				}
				continue
			}
			scram = append(scram, ScramUser{Name: u.Name, Mechanism: m, Password: u.Password, Iterations: u.ScramIterations})
		}
	}
	c.SASL.PlainUsers, c.SASL.ScramUsers, c.Listeners = plain, scram, listeners
	return nil
}

// staticGroups is the group resolver of the fixtures' groups.
type staticGroups map[string][]string

// Groups implements principal.GroupResolver.
func (s staticGroups) Groups(_ context.Context, user principal.Principal, _ *principal.AuthContext) ([]string, error) {
	return s[user.Name], nil
}

// createTopics creates Config.Topics on a new broker.
func (mb *Broker) createTopics() error {
	for _, t := range mb.cfg.Topics {
		if err := mb.b.CreateTopic(t.Name, t.Partitions, t.Configs); err != nil {
			return fmt.Errorf("minikafka: config: topics: %w", err)
		}
	}
	return nil
}

func init() { propertySections = append(propertySections, fixturesProperties) }

// fixturesProperties reads minikafka.fixtures.file.
func fixturesProperties(p *Properties, c *Config) error {
	path, ok := p.Get("minikafka.fixtures.file")
	if !ok || strings.TrimSpace(path) == "" {
		return nil
	}
	f, err := LoadFixtures(strings.TrimSpace(path))
	if err != nil {
		return p.Errorf("minikafka.fixtures.file", "%v", err)
	}
	c.Fixtures = f
	return nil
}

// Summary describes the fixtures in one line for logs and the serve
// banner (names only, never secrets).
func (f *Fixtures) Summary() string {
	var users, topics []string
	for _, u := range f.Users {
		users = append(users, u.Name)
	}
	for _, t := range f.Topics {
		topics = append(topics, t.Name)
	}
	sort.Strings(users)
	sort.Strings(topics)
	return "users=" + strings.Join(users, ",") + " oauth_clients=" + strconv.Itoa(len(f.OAuthClients)) +
		" topics=" + strings.Join(topics, ",") + " acls=" + strconv.Itoa(len(f.ACLs)) + " super_users=" + strings.Join(f.SuperUsers, ",")
}

package minikafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/principal/jwtclaims"
	"github.com/minikafka/minikafka/principal/ldap"
	"github.com/minikafka/minikafka/principal/osgroups"
	"github.com/minikafka/minikafka/principal/static"
)

// PrincipalConfig says who a connection is (Config.Principals): Kafka's
// DefaultKafkaPrincipalBuilder with its mapping rules, plus the groups of
// each user from the configured resolvers.
type PrincipalConfig struct {
	// Builder replaces the whole default builder (a custom
	// principal.builder.class, settable from Go only), like
	// Config.PrincipalBuilder (set one of them). The rules and groups
	// below are then ignored.
	Builder principal.Builder
	// BuilderClass is principal.builder.class; only Kafka's default
	// (principal.DefaultBuilderClass) is accepted.
	BuilderClass string
	// SSLMappingRules is ssl.principal.mapping.rules for listeners whose
	// Listener.PrincipalMappingRules is empty. Empty means DEFAULT (in
	// Kafka an explicitly empty value has no rule at all, failing every
	// certificate; Go's zero value cannot say that).
	SSLMappingRules string
	// SASLNameRules is minikafka.principal.sasl.name.rules: rules in the
	// ssl.principal.mapping.rules syntax applied to SASL authorization
	// ids, e.g. RULE:^(.*)@EXAMPLE\.COM$/$1/L,DEFAULT (default: ids
	// unchanged). ListenerSASLNameRules overrides it per listener name
	// (listener.name.<l>.minikafka.principal.sasl.name.rules).
	SASLNameRules         string
	ListenerSASLNameRules map[string]string
	// Groups configures group resolution.
	Groups GroupsConfig
}

// GroupsConfig configures where users' groups come from
// (minikafka.groups.*). Resolvers are asked in order and their answers
// united.
type GroupsConfig struct {
	// Resolver, set from Go, is asked before the configured ones. Wrap it
	// in principal.NewCached yourself if it is slow.
	Resolver principal.GroupResolver
	// Resolvers lists the configured resolvers in order: jwt, ldap,
	// static, os (minikafka.groups.resolvers).
	Resolvers []string
	// FailurePolicy is lenient (default: authenticate without groups) or
	// strict (fail the authentication).
	FailurePolicy string
	// CacheTTL, CacheNegativeTTL and CacheMaxEntries configure the cache
	// in front of the ldap and os resolvers (defaults 5 min, 30 s, 10000;
	// a negative CacheNegativeTTL disables negative caching).
	CacheTTL         time.Duration
	CacheNegativeTTL time.Duration
	CacheMaxEntries  int

	JWT    jwtclaims.Config
	LDAP   ldap.Config
	Static static.Config
	OS     osgroups.Config
}

// Resolver names in GroupsConfig.Resolvers.
const (
	ResolverJWT    = "jwt"
	ResolverLDAP   = "ldap"
	ResolverStatic = "static"
	ResolverOS     = "os"
)

func init() {
	wirers = append(wirers, wirePrincipals)
	propertySections = append(propertySections, principalProperties)
}

// wirePrincipals builds the principal builder: it parses every rule (an
// invalid one is a startup error) and starts the group resolvers (an LDAP
// directory that refuses the service account is a startup error naming
// its URL).
func wirePrincipals(mb *Broker, bc *broker.Config) error {
	pc := mb.cfg.Principals
	custom := pc.Builder
	if custom != nil {
		bc.Principals = custom
		return nil
	}
	if pc.BuilderClass != "" && pc.BuilderClass != principal.DefaultBuilderClass {
		return fmt.Errorf("minikafka: principal.builder.class %q is not supported: minikafka implements %s only; set Config.Principals.Builder from Go for a custom builder",
			pc.BuilderClass, principal.DefaultBuilderClass)
	}
	logger := mb.cfg.Logger.With("logger", "minikafka.principal")
	b := &principal.DefaultBuilder{Logger: logger}
	var err error
	if b.SSLRules.Default, err = parseRules("ssl.principal.mapping.rules", pc.SSLMappingRules); err != nil {
		return err
	}
	if b.SASLRules.Default, err = parseRules("minikafka.principal.sasl.name.rules", pc.SASLNameRules); err != nil {
		return err
	}
	b.SSLRules.Listeners = map[string]*principal.MappingRules{}
	for _, l := range mb.cfg.Listeners {
		if l.PrincipalMappingRules == "" {
			continue
		}
		name := listenerName(&l)
		if b.SSLRules.Listeners[name], err = parseRules("listener "+name+": ssl.principal.mapping.rules", l.PrincipalMappingRules); err != nil {
			return err
		}
	}
	b.SASLRules.Listeners = map[string]*principal.MappingRules{}
	for name, rules := range pc.ListenerSASLNameRules {
		if b.SASLRules.Listeners[name], err = parseRules("listener "+name+": minikafka.principal.sasl.name.rules", rules); err != nil {
			return err
		}
	}
	if b.Policy, err = principal.ParseFailurePolicy(pc.Groups.FailurePolicy); err != nil {
		return fmt.Errorf("minikafka: minikafka.groups.failure.policy: %w", err)
	}
	if !mb.cfg.DisableMetrics {
		if b.Metrics, err = principal.NewMetrics(mb.reg); err != nil {
			return fmt.Errorf("minikafka: %w", err)
		}
	}
	if b.Groups, err = buildGroups(mb, pc.Groups, b.Metrics); err != nil {
		return err
	}
	bc.Principals = b
	return nil
}

// parseRules parses a rules value; empty means DEFAULT (nil).
func parseRules(what, s string) (*principal.MappingRules, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	mr, err := principal.ParseMappingRules(s)
	if err != nil {
		return nil, fmt.Errorf("minikafka: %s: %w", what, err)
	}
	return mr, nil
}

// buildGroups starts the configured resolvers, in order, behind one Chain.
func buildGroups(mb *Broker, gc GroupsConfig, m *principal.Metrics) (principal.GroupResolver, error) {
	var chain principal.Chain
	if gc.Resolver != nil {
		chain = append(chain, gc.Resolver)
	}
	cached := func(name string, r principal.GroupResolver) principal.GroupResolver {
		return principal.NewCached(r, principal.CacheOptions{
			Name: name, TTL: gc.CacheTTL, NegativeTTL: gc.CacheNegativeTTL, MaxEntries: gc.CacheMaxEntries,
			Now: mb.cfg.Now, Metrics: m,
		})
	}
	seen := map[string]bool{}
	for _, name := range gc.Resolvers {
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return nil, fmt.Errorf("minikafka: minikafka.groups.resolvers lists %s twice", name)
		}
		seen[name] = true
		switch name {
		case ResolverJWT:
			r, err := jwtclaims.New(gc.JWT)
			if err != nil {
				return nil, fmt.Errorf("minikafka: %w", err)
			}
			chain = append(chain, r)
		case ResolverLDAP:
			cfg := gc.LDAP
			if cfg.Logger == nil {
				cfg.Logger = mb.cfg.Logger.With("logger", "minikafka.principal.ldap")
			}
			r, err := ldap.New(cfg)
			if err != nil {
				return nil, fmt.Errorf("minikafka: group resolver ldap: %w", err)
			}
			mb.closers = append(mb.closers, r.Close)
			chain = append(chain, cached(name, r))
		case ResolverStatic:
			cfg := gc.Static
			if cfg.Logger == nil {
				cfg.Logger = mb.cfg.Logger.With("logger", "minikafka.principal.static")
			}
			r, err := static.New(cfg)
			if err != nil {
				return nil, fmt.Errorf("minikafka: group resolver static: %w", err)
			}
			mb.closers = append(mb.closers, r.Close)
			chain = append(chain, r)
		case ResolverOS:
			r, err := osgroups.New(gc.OS)
			if err != nil {
				return nil, fmt.Errorf("minikafka: %w", err)
			}
			chain = append(chain, cached(name, r))
		default:
			return nil, fmt.Errorf("minikafka: unknown group resolver %q in minikafka.groups.resolvers (want jwt, ldap, static or os)", name)
		}
	}
	switch len(chain) {
	case 0:
		return nil, nil
	case 1:
		return chain[0], nil
	}
	return chain, nil
}

// principalProperties reads principal.builder.class, the mapping rules
// (global and listener.name.<l>.-prefixed) and minikafka.groups.*. Rules
// are parsed here so that an invalid one names file:line.
func principalProperties(p *Properties, c *Config) error {
	pc := &c.Principals
	if v, ok := p.Get("principal.builder.class"); ok {
		if v != principal.DefaultBuilderClass {
			return p.Errorf("principal.builder.class", "%q is not supported: minikafka implements %s only (a custom builder is set from Go: Config.Principals.Builder)", v, principal.DefaultBuilderClass)
		}
		pc.BuilderClass = v
	}
	rules := func(key string, dst func(string)) error {
		v, ok := p.Get(key)
		if !ok {
			return nil
		}
		if _, err := principal.ParseMappingRules(v); err != nil {
			return p.Errorf(key, "%v", err)
		}
		dst(v)
		return nil
	}
	if err := rules("ssl.principal.mapping.rules", func(v string) { pc.SSLMappingRules = v }); err != nil {
		return err
	}
	if err := rules("minikafka.principal.sasl.name.rules", func(v string) { pc.SASLNameRules = v }); err != nil {
		return err
	}
	for i := range c.Listeners {
		l := &c.Listeners[i]
		prefix := "listener.name." + strings.ToLower(listenerName(l)) + "."
		if err := rules(prefix+"ssl.principal.mapping.rules", func(v string) { l.PrincipalMappingRules = v }); err != nil {
			return err
		}
		if err := rules(prefix+"minikafka.principal.sasl.name.rules", func(v string) {
			if pc.ListenerSASLNameRules == nil {
				pc.ListenerSASLNameRules = map[string]string{}
			}
			pc.ListenerSASLNameRules[listenerName(l)] = v
		}); err != nil {
			return err
		}
	}
	return groupProperties(p, &pc.Groups)
}

// groupProperties reads minikafka.groups.*.
func groupProperties(p *Properties, g *GroupsConfig) error {
	const pre = "minikafka.groups."
	if list, ok := p.List(pre + "resolvers"); ok {
		for _, name := range list {
			switch strings.ToLower(name) {
			case ResolverJWT, ResolverLDAP, ResolverStatic, ResolverOS:
			default:
				return p.Errorf(pre+"resolvers", "unknown group resolver %q (want jwt, ldap, static or os)", name)
			}
		}
		g.Resolvers = list
	}
	if v, ok := p.Get(pre + "failure.policy"); ok {
		if _, err := principal.ParseFailurePolicy(v); err != nil {
			return p.Errorf(pre+"failure.policy", "%v", err)
		}
		g.FailurePolicy = v
	}
	str := func(key string, dst *string) {
		if v, ok := p.Get(pre + key); ok {
			*dst = v
		}
	}
	errs := []error{
		p.Millis(pre+"cache.ttl.ms", func(d time.Duration) { g.CacheTTL = d }),
		p.Millis(pre+"cache.negative.ttl.ms", func(d time.Duration) {
			g.CacheNegativeTTL = d
			if d == 0 {
				g.CacheNegativeTTL = -1 // 0 in a file means off
			}
		}),
		p.Int(pre+"cache.max.entries", 32, func(n int64) { g.CacheMaxEntries = int(n) }),
		p.Bool(pre+"jwt.leaf.only", func(b bool) { g.JWT.LeafOnly = b }),
		p.Bool(pre+"ldap.starttls", func(b bool) { g.LDAP.StartTLS = b }),
		p.Bool(pre+"ldap.nested", func(b bool) { g.LDAP.Nested = b }),
		p.Int(pre+"ldap.nested.max.depth", 32, func(n int64) { g.LDAP.MaxDepth = int(n) }),
		p.Millis(pre+"ldap.timeout.ms", func(d time.Duration) { g.LDAP.Timeout = d }),
		p.Int(pre+"ldap.pool.size", 32, func(n int64) { g.LDAP.PoolSize = int(n) }),
		p.Millis(pre+"static.reload.interval.ms", func(d time.Duration) {
			g.Static.ReloadInterval = d
			if d == 0 {
				g.Static.ReloadInterval = -1 // 0 in a file means never
			}
		}),
		p.Millis(pre+"os.timeout.ms", func(d time.Duration) { g.OS.Timeout = d }),
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	str("jwt.claim", &g.JWT.Claim)
	str("jwt.delimiter", &g.JWT.Delimiter)
	str("ldap.url", &g.LDAP.URL)
	str("ldap.bind.dn", &g.LDAP.BindDN)
	str("ldap.bind.password", &g.LDAP.BindPassword)
	str("ldap.search.mode", &g.LDAP.Mode)
	str("ldap.user.base.dn", &g.LDAP.UserBaseDN)
	str("ldap.user.filter", &g.LDAP.UserFilter)
	str("ldap.user.memberof.attribute", &g.LDAP.MemberOfAttribute)
	str("ldap.group.base.dn", &g.LDAP.GroupBaseDN)
	str("ldap.group.filter", &g.LDAP.GroupFilter)
	str("ldap.group.name.attribute", &g.LDAP.GroupNameAttribute)
	str("static.file", &g.Static.Path)
	str("os.method", &g.OS.Method)
	str("os.command", &g.OS.Command)
	if g.JWT.Claim != "" {
		if _, err := jwtclaims.ParsePath(g.JWT.Claim); err != nil {
			return p.Errorf(pre+"jwt.claim", "%v", err)
		}
	}
	if v, ok := p.Get(pre + "ldap.tls.ca.file"); ok {
		pem, err := os.ReadFile(v)
		if err != nil {
			return p.Errorf(pre+"ldap.tls.ca.file", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return p.Errorf(pre+"ldap.tls.ca.file", "no PEM certificate in %s", v)
		}
		g.LDAP.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	// A resolver's keys without the resolver in the list are a mistake.
	enabled := map[string]bool{}
	for _, r := range g.Resolvers {
		enabled[strings.ToLower(r)] = true
	}
	for _, r := range []string{ResolverJWT, ResolverLDAP, ResolverStatic, ResolverOS} {
		if keys := p.WithPrefix(pre + r + "."); len(keys) > 0 && !enabled[r] {
			return p.Errorf(keys[0], "is set but %s is not in %sresolvers", r, pre)
		}
	}
	return nil
}

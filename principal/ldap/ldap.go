// Package ldap resolves a user's groups from an LDAP directory (OpenLDAP,
// Active Directory, ...) with github.com/go-ldap/ldap/v3. The broker binds
// as a service account over ldap://, ldaps:// or StartTLS, finds the user
// entry, and reads its groups either from the user's memberOf attribute or
// by searching the groups that list the user as a member. Nested groups
// are followed by iterating group memberships (OpenLDAP has no equivalent
// of AD's LDAP_MATCHING_RULE_IN_CHAIN), with cycle protection and a depth
// limit.
//
// Connections are pooled (PoolSize of them, bound once) so that a slow
// directory delays only the logins waiting for it; every network call has
// a timeout, and the caller's context cancels a call in flight. It imports
// nothing else of minikafka.
package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/minikafka/minikafka/principal"
)

// Search modes.
const (
	// ModeMemberOf reads the groups from an attribute of the user entry
	// (memberOf: AD, or OpenLDAP's memberof overlay).
	ModeMemberOf = "memberof"
	// ModeGroups searches the group entries that list the user's DN as a
	// member (any directory).
	ModeGroups = "groups"
)

// Config configures a Resolver. Filters use {0} for the escaped user name
// (UserFilter) or member DN (GroupFilter).
type Config struct {
	// URL is ldap://host[:port] or ldaps://host[:port].
	URL string
	// StartTLS upgrades an ldap:// connection before binding.
	StartTLS bool
	// TLS configures ldaps:// and StartTLS (nil: system roots, server name
	// from the URL).
	TLS *tls.Config
	// BindDN and BindPassword are the service account; an empty BindDN
	// binds anonymously.
	BindDN       string
	BindPassword string

	// Mode is ModeMemberOf (default) or ModeGroups.
	Mode string
	// UserBaseDN is where users are searched (whole subtree).
	UserBaseDN string
	// UserFilter finds the user entry (default "(uid={0})"; AD:
	// "(sAMAccountName={0})").
	UserFilter string
	// MemberOfAttribute lists a user's (and, for nesting, a group's)
	// groups in ModeMemberOf (default "memberOf").
	MemberOfAttribute string
	// GroupBaseDN is where groups are searched in ModeGroups.
	GroupBaseDN string
	// GroupFilter finds the groups of a member DN in ModeGroups (default
	// "(member={0})"; e.g. "(&(objectClass=groupOfNames)(member={0}))").
	GroupFilter string
	// GroupNameAttribute names a group (default "cn"). In ModeMemberOf the
	// name is the value of the first RDN of the group's DN.
	GroupNameAttribute string
	// Nested follows groups that are members of groups.
	Nested bool
	// MaxDepth bounds nesting (default 10 levels).
	MaxDepth int

	// Timeout bounds each dial, bind and search (default 5 s).
	Timeout time.Duration
	// PoolSize is the most connections open at once (default 4).
	PoolSize int
	// Logger receives reconnection notes (nil: discard).
	Logger *slog.Logger
}

// Resolver looks groups up in the directory. Safe for concurrent use.
type Resolver struct {
	cfg  Config
	tls  *tls.Config
	pool *pool
}

// New validates cfg, then dials and binds once: an unreachable directory or
// a wrong service password is an error naming the URL. Close releases the
// connections.
func New(cfg Config) (*Resolver, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	r := &Resolver{cfg: cfg}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("ldap: bad URL %q: %w", cfg.URL, err)
	}
	if cfg.StartTLS || u.Scheme == "ldaps" {
		r.tls = cfg.TLS.Clone()
		if r.tls == nil {
			r.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if r.tls.ServerName == "" {
			r.tls.ServerName = u.Hostname()
		}
	}
	r.pool = newPool(cfg.PoolSize, r.dial)
	c, err := r.pool.get(context.Background())
	if err != nil {
		return nil, fmt.Errorf("ldap %s: %w", cfg.URL, err)
	}
	r.pool.put(c, true)
	return r, nil
}

func (c *Config) setDefaults() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return fmt.Errorf("ldap: URL %q: want ldap://host[:port] or ldaps://host[:port]", c.URL)
	}
	if c.StartTLS && u.Scheme == "ldaps" {
		return fmt.Errorf("ldap %s: StartTLS is for ldap:// URLs; ldaps:// is already TLS", c.URL)
	}
	switch c.Mode {
	case "":
		c.Mode = ModeMemberOf
	case ModeMemberOf, ModeGroups:
	default:
		return fmt.Errorf("ldap %s: unknown search mode %q (want %s or %s)", c.URL, c.Mode, ModeMemberOf, ModeGroups)
	}
	if c.UserBaseDN == "" {
		return fmt.Errorf("ldap %s: the user base DN is required", c.URL)
	}
	if c.Mode == ModeGroups && c.GroupBaseDN == "" {
		return fmt.Errorf("ldap %s: the group base DN is required in search mode %s", c.URL, ModeGroups)
	}
	if c.BindDN != "" && c.BindPassword == "" {
		return fmt.Errorf("ldap %s: bind DN %s has no password", c.URL, c.BindDN)
	}
	defaults := []struct {
		v   *string
		def string
	}{{&c.UserFilter, "(uid={0})"}, {&c.MemberOfAttribute, "memberOf"}, {&c.GroupFilter, "(member={0})"}, {&c.GroupNameAttribute, "cn"}}
	for _, d := range defaults {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	for _, f := range []string{c.UserFilter, c.GroupFilter} {
		if !strings.Contains(f, "{0}") {
			return fmt.Errorf("ldap %s: filter %q has no {0}", c.URL, f)
		}
		if _, err := goldap.CompileFilter(strings.ReplaceAll(f, "{0}", "x")); err != nil {
			return fmt.Errorf("ldap %s: filter %q: %w", c.URL, f, err)
		}
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 10
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.PoolSize <= 0 {
		c.PoolSize = 4
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// dial opens and binds one connection. Its errors are wrapped with the
// URL by the callers.
func (r *Resolver) dial() (*goldap.Conn, error) {
	opts := []goldap.DialOpt{goldap.DialWithDialer(&net.Dialer{Timeout: r.cfg.Timeout})}
	if r.tls != nil {
		opts = append(opts, goldap.DialWithTLSConfig(r.tls))
	}
	c, err := goldap.DialURL(r.cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	c.SetTimeout(r.cfg.Timeout)
	if r.cfg.StartTLS {
		if err := c.StartTLS(r.tls); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("StartTLS: %w", err)
		}
	}
	if r.cfg.BindDN != "" {
		if err := c.Bind(r.cfg.BindDN, r.cfg.BindPassword); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("binding as %s: %w", r.cfg.BindDN, err)
		}
	}
	return c, nil
}

// Close closes the pooled connections.
func (r *Resolver) Close() error {
	r.pool.close()
	return nil
}

// Groups returns the names of the user's groups. An unknown user has
// none; an error means the directory could not answer.
func (r *Resolver) Groups(ctx context.Context, user principal.Principal, _ *principal.AuthContext) ([]string, error) {
	var groups []string
	err := r.withConn(ctx, func(c *goldap.Conn) error {
		var err error
		groups, err = r.lookup(ctx, c, user.Name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ldap %s: groups of %q: %w", r.cfg.URL, user.Name, err)
	}
	return groups, nil
}

// withConn runs f on a pooled connection. A connection that failed below
// the LDAP protocol (network, timeout, canceled) is discarded, and f is
// retried once on a new connection if the old one was a reused one that
// broke (the directory may have restarted since) rather than timed out.
func (r *Resolver) withConn(ctx context.Context, f func(*goldap.Conn) error) error {
	for attempt := 0; ; attempt++ {
		c, err := r.pool.get(ctx)
		if err != nil {
			return err
		}
		reused := c.reused
		canceled := false
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		err = f(c.Conn)
		if !stop() {
			canceled = true
		}
		healthy := err == nil || isResultError(err)
		r.pool.put(c, healthy && !canceled)
		switch {
		case canceled:
			return ctx.Err()
		case healthy:
			return err
		case reused && attempt == 0 && !isTimeout(err):
			r.cfg.Logger.Info("ldap: reconnecting after a failed call on a pooled connection", "url", r.cfg.URL, "err", err)
			continue
		}
		return err
	}
}

// isTimeout reports a call that got no answer in time (not worth
// repeating at once).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "timed out")
}

// isResultError reports an error the server answered with (the
// connection is fine), as opposed to a network or client-side failure.
func isResultError(err error) bool {
	var le *goldap.Error
	return errors.As(err, &le) && le.ResultCode > 0 && le.ResultCode < 200
}

func (r *Resolver) lookup(ctx context.Context, c *goldap.Conn, name string) ([]string, error) {
	if name == "" {
		return nil, nil
	}
	attrs := []string{"1.1"} // no attributes
	if r.cfg.Mode == ModeMemberOf {
		attrs = []string{r.cfg.MemberOfAttribute}
	}
	filter := strings.ReplaceAll(r.cfg.UserFilter, "{0}", goldap.EscapeFilter(name))
	res, err := c.Search(r.search(r.cfg.UserBaseDN, goldap.ScopeWholeSubtree, filter, attrs, 2))
	if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return nil, fmt.Errorf("searching %s for %s: %w", r.cfg.UserBaseDN, filter, err)
	}
	switch {
	case res == nil || len(res.Entries) == 0:
		return nil, nil
	case len(res.Entries) > 1:
		return nil, fmt.Errorf("%s matches more than one entry under %s", filter, r.cfg.UserBaseDN)
	}
	g := &walk{seen: map[string]bool{}}
	if r.cfg.Mode == ModeMemberOf {
		return r.viaMemberOf(ctx, c, g, res.Entries[0].GetAttributeValues(r.cfg.MemberOfAttribute))
	}
	return r.viaGroups(ctx, c, g, res.Entries[0].DN)
}

// walk collects groups once each, following nesting.
type walk struct {
	names []string
	seen  map[string]bool // normalized DNs visited
}

// add records a group DN; false if it was already seen.
func (w *walk) add(dn, name string) bool {
	k := normDN(dn)
	if w.seen[k] {
		return false
	}
	w.seen[k] = true
	if name != "" && !contains(w.names, name) {
		w.names = append(w.names, name)
	}
	return true
}

func (r *Resolver) viaMemberOf(ctx context.Context, c *goldap.Conn, w *walk, dns []string) ([]string, error) {
	frontier := dns
	for depth := 0; len(frontier) > 0; depth++ {
		var next []string
		for _, dn := range frontier {
			if !w.add(dn, rdnValue(dn)) || !r.cfg.Nested || depth+1 >= r.cfg.MaxDepth {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			res, err := c.Search(r.search(dn, goldap.ScopeBaseObject, "(objectClass=*)", []string{r.cfg.MemberOfAttribute}, 1))
			if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				continue // a dangling memberOf value
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s of %s: %w", r.cfg.MemberOfAttribute, dn, err)
			}
			for _, e := range res.Entries {
				next = append(next, e.GetAttributeValues(r.cfg.MemberOfAttribute)...)
			}
		}
		frontier = next
	}
	return w.names, nil
}

// maxOr bounds the member DNs searched with one (|...) filter.
const maxOr = 50

func (r *Resolver) viaGroups(ctx context.Context, c *goldap.Conn, w *walk, userDN string) ([]string, error) {
	w.seen[normDN(userDN)] = true
	frontier := []string{userDN}
	for depth := 0; len(frontier) > 0 && depth < r.cfg.MaxDepth; depth++ {
		var next []string
		for start := 0; start < len(frontier); start += maxOr {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			batch := frontier[start:min(start+maxOr, len(frontier))]
			var f strings.Builder
			if len(batch) > 1 {
				f.WriteString("(|")
			}
			for _, dn := range batch {
				f.WriteString(strings.ReplaceAll(r.cfg.GroupFilter, "{0}", goldap.EscapeFilter(dn)))
			}
			if len(batch) > 1 {
				f.WriteString(")")
			}
			res, err := c.Search(r.search(r.cfg.GroupBaseDN, goldap.ScopeWholeSubtree, f.String(), []string{r.cfg.GroupNameAttribute}, 0))
			if err != nil {
				return nil, fmt.Errorf("searching %s for %s: %w", r.cfg.GroupBaseDN, f.String(), err)
			}
			for _, e := range res.Entries {
				name := e.GetAttributeValue(r.cfg.GroupNameAttribute)
				if name == "" {
					name = rdnValue(e.DN)
				}
				if w.add(e.DN, name) {
					next = append(next, e.DN)
				}
			}
		}
		if !r.cfg.Nested {
			break
		}
		frontier = next
	}
	return w.names, nil
}

func (r *Resolver) search(base string, scope int, filter string, attrs []string, sizeLimit int) *goldap.SearchRequest {
	return goldap.NewSearchRequest(base, scope, goldap.NeverDerefAliases, sizeLimit,
		int(r.cfg.Timeout/time.Second), false, filter, attrs, nil)
}

// normDN is the key under which a DN is remembered: parsed and
// lower-cased when it parses.
func normDN(dn string) string {
	if d, err := goldap.ParseDN(dn); err == nil {
		return strings.ToLower(d.String())
	}
	return strings.ToLower(dn)
}

// rdnValue is the value of the first attribute of the first RDN
// ("kafka-producers" for "cn=kafka-producers,ou=groups,...").
func rdnValue(dn string) string {
	d, err := goldap.ParseDN(dn)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0].Attributes) == 0 {
		return dn
	}
	return d.RDNs[0].Attributes[0].Value
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

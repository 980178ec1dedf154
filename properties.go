package minikafka

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Properties is a parsed Kafka-style properties file. Each value remembers
// its line so that errors and warnings can name file:line.
type Properties struct {
	file     string
	values   map[string]propValue
	used     map[string]bool
	warnings []string
}

type propValue struct {
	value string
	line  int
}

// ParseProperties reads Java-properties syntax: key=value, key:value or
// key value; # and ! comments; a trailing backslash continues a line.
func ParseProperties(r io.Reader, file string) (*Properties, error) {
	p := &Properties{file: file, values: map[string]propValue{}, used: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		start := lineNo
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") && sc.Scan() {
			lineNo++
			line = line[:len(line)-1] + strings.TrimLeft(sc.Text(), " \t\f")
		}
		key, value := splitProperty(line)
		if key == "" {
			return nil, fmt.Errorf("%s:%d: missing key", file, start)
		}
		p.values[key] = propValue{value: value, line: start}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

func splitProperty(line string) (string, string) {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '=', ':', ' ', '\t':
			key := unescapeProperty(line[:i])
			rest := strings.TrimLeft(line[i:], " \t")
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = strings.TrimLeft(rest[1:], " \t")
			}
			return key, unescapeProperty(rest)
		}
	}
	return unescapeProperty(line), ""
}

func unescapeProperty(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i == len(s)-1 {
			sb.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			sb.WriteByte('\n')
		case 't':
			sb.WriteByte('\t')
		case 'r':
			sb.WriteByte('\r')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					sb.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			sb.WriteByte('u')
		default:
			sb.WriteByte(s[i])
		}
	}
	return sb.String()
}

// LoadProperties parses a properties file into a Config. Warnings name
// file:line for keys minikafka does not know; an error names file:line of
// the first malformed value.
func LoadProperties(path string) (Config, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	p, err := ParseProperties(f, path)
	if err != nil {
		return Config{}, nil, err
	}
	var cfg Config
	warnings, err := p.Apply(&cfg)
	return cfg, warnings, err
}

// Apply sets cfg from the properties. It returns warnings for unknown keys
// and the first error (naming file:line).
func (p *Properties) Apply(cfg *Config) ([]string, error) {
	for _, s := range propertySections {
		if err := s(p, cfg); err != nil {
			return nil, err
		}
	}
	warnings := p.warnings
	for _, k := range p.Keys() {
		if !p.used[k] {
			warnings = append(warnings, fmt.Sprintf("%s:%d: unknown configuration key %q ignored", p.file, p.values[k].line, k))
		}
	}
	return warnings, nil
}

// propertySections apply one area of configuration each; files of this
// package append to it in init.
var propertySections = []func(p *Properties, c *Config) error{coreProperties}

// Keys returns every key, sorted.
func (p *Properties) Keys() []string {
	ks := make([]string, 0, len(p.values))
	for k := range p.values {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Get returns a value and marks the key as known.
func (p *Properties) Get(key string) (string, bool) {
	v, ok := p.values[key]
	if ok {
		p.used[key] = true
	}
	return strings.TrimSpace(v.value), ok
}

// Set adds or replaces a value (used for defaults and flags).
func (p *Properties) Set(key, value string) {
	p.values[key] = propValue{value: value}
}

// WithPrefix returns the keys starting with prefix (without marking them).
func (p *Properties) WithPrefix(prefix string) []string {
	var out []string
	for _, k := range p.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// Errorf builds an error naming the key's file:line.
func (p *Properties) Errorf(key, format string, args ...any) error {
	line := p.values[key].line
	where := p.file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", p.file, line)
	}
	return fmt.Errorf("%s: %s: %s", where, key, fmt.Sprintf(format, args...))
}

// Warnf records a warning naming the key's file:line; Apply returns it.
func (p *Properties) Warnf(key, format string, args ...any) {
	where := p.file
	if line := p.values[key].line; line > 0 {
		where = fmt.Sprintf("%s:%d", p.file, line)
	}
	p.warnings = append(p.warnings, fmt.Sprintf("%s: %s: %s", where, key, fmt.Sprintf(format, args...)))
}

// Int reads an integer key into dst when present.
func (p *Properties) Int(key string, bits int, dst func(int64)) error {
	v, ok := p.Get(key)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return p.Errorf(key, "invalid integer %q", v)
	}
	dst(n)
	return nil
}

// Bool reads a boolean key (case-insensitive, as Kafka) into dst.
func (p *Properties) Bool(key string, dst func(bool)) error {
	v, ok := p.Get(key)
	if !ok {
		return nil
	}
	switch strings.ToLower(v) {
	case "true":
		dst(true)
	case "false":
		dst(false)
	default:
		return p.Errorf(key, "invalid boolean %q (want true or false)", v)
	}
	return nil
}

// Millis reads a duration in milliseconds into dst.
func (p *Properties) Millis(key string, dst func(time.Duration)) error {
	return p.Int(key, 64, func(n int64) { dst(time.Duration(n) * time.Millisecond) })
}

// List reads a comma-separated list (entries trimmed, empties dropped).
func (p *Properties) List(key string) ([]string, bool) {
	v, ok := p.Get(key)
	if !ok {
		return nil, false
	}
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out, true
}

// coreProperties reads the broker-core keys.
func coreProperties(p *Properties, c *Config) error {
	errs := []error{
		p.Int("node.id", 32, func(n int64) { c.NodeID = int32(n) }),
		p.Int("broker.id", 32, func(n int64) { c.NodeID = int32(n) }),
		p.Int("num.partitions", 32, func(n int64) { c.NumPartitions = int32(n) }),
		p.Bool("auto.create.topics.enable", func(b bool) { c.DisableAutoCreateTopics = !b }),
		p.Bool("delete.topic.enable", func(b bool) { c.DisableDeleteTopic = !b }),
		p.Int("socket.request.max.bytes", 32, func(n int64) { c.MaxRequestBytes = int32(n) }),
		p.Int("message.max.bytes", 32, func(n int64) { c.MessageMaxBytes = int32(n) }),
		p.Int("log.retention.ms", 64, func(n int64) { c.RetentionMs = n }),
		p.Int("log.retention.minutes", 64, func(n int64) { c.RetentionMs = n * 60000 }),
		p.Int("log.retention.hours", 64, func(n int64) { c.RetentionMs = n * 3600000 }),
		p.Int("log.retention.bytes", 64, func(n int64) { c.RetentionBytes = n }),
		p.Millis("connections.max.idle.ms", func(d time.Duration) { c.IdleTimeout = d }),
		p.Int("max.connections", 32, func(n int64) { c.MaxConnections = int(n) }),
		p.Int("max.connections.per.ip", 32, func(n int64) { c.MaxConnectionsPerIP = int(n) }),
		p.Millis("group.initial.rebalance.delay.ms", func(d time.Duration) { c.GroupInitialRebalanceDelay = d }),
		p.Int("sasl.server.max.receive.size", 32, func(n int64) { c.SASL.MaxReceiveBytes = int32(n) }),
		p.Millis("connection.failed.authentication.delay.ms", func(d time.Duration) {
			c.SASL.FailedAuthenticationDelay = d
			if d == 0 {
				c.SASL.FailedAuthenticationDelay = -1
			}
		}),
		p.Millis("connections.max.reauth.ms", func(d time.Duration) { c.SASL.MaxReauth = d }),
		p.Bool("minikafka.sasl.legacy.token.expiry", func(b bool) { c.SASL.LegacyTokenExpiry = b }),
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if v, ok := p.Get("cluster.id"); ok {
		c.ClusterID = v
	}
	if v, ok := p.Get("log.dirs"); ok {
		c.DataDir = strings.Split(v, ",")[0]
	} else if v, ok := p.Get("log.dir"); ok {
		c.DataDir = v
	}
	if v, ok := p.Get("admin.listener"); ok {
		c.AdminAddr = strings.TrimPrefix(strings.TrimPrefix(v, "http://"), "https://")
	}
	for _, k := range []string{"process.roles", "controller.quorum.voters", "controller.listener.names", "inter.broker.listener.name",
		"offsets.topic.replication.factor", "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
		"default.replication.factor", "num.network.threads", "num.io.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
		"num.recovery.threads.per.data.dir", "log.segment.bytes", "log.retention.check.interval.ms", "zookeeper.connect"} {
		p.Get(k) // accepted for compatibility with Kafka's sample files; no effect on a single node
	}
	return listenerProperties(p, c)
}

// listenerProperties reads listeners, listener.security.protocol.map,
// advertised.listeners and the per-listener SASL mechanism lists.
func listenerProperties(p *Properties, c *Config) error {
	names, ok := p.List("listeners")
	if !ok {
		return nil
	}
	protoMap := map[string]string{"PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL"}
	if m, ok := p.List("listener.security.protocol.map"); ok {
		protoMap = map[string]string{}
		for _, e := range m {
			k, v, found := strings.Cut(e, ":")
			if !found {
				return p.Errorf("listener.security.protocol.map", "entry %q is not NAME:PROTOCOL", e)
			}
			protoMap[strings.ToUpper(strings.TrimSpace(k))] = strings.ToUpper(strings.TrimSpace(v))
		}
	}
	advertised := map[string]string{}
	if adv, ok := p.List("advertised.listeners"); ok {
		for _, e := range adv {
			name, addr, err := splitListener(e)
			if err != nil {
				return p.Errorf("advertised.listeners", "%v", err)
			}
			advertised[name] = addr
		}
	}
	globalMechs, _ := p.List("sasl.enabled.mechanisms")
	for _, e := range names {
		name, addr, err := splitListener(e)
		if err != nil {
			return p.Errorf("listeners", "%v", err)
		}
		proto, ok := protoMap[name]
		if !ok {
			return p.Errorf("listeners", "listener %s has no entry in listener.security.protocol.map", name)
		}
		switch proto {
		case "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
		default:
			return p.Errorf("listener.security.protocol.map", "unknown security protocol %q for listener %s", proto, name)
		}
		l := Listener{Name: name, Addr: addr, Advertised: advertised[name], SecurityProtocol: proto}
		prefix := "listener.name." + strings.ToLower(name) + "."
		if m, ok := p.List(prefix + "sasl.enabled.mechanisms"); ok {
			l.Mechanisms = m
		} else if strings.HasPrefix(proto, "SASL_") {
			l.Mechanisms = globalMechs
		}
		if strings.HasPrefix(proto, "SASL_") && len(l.Mechanisms) == 0 {
			return p.Errorf("listeners", "listener %s is %s but no SASL mechanism is enabled (sasl.enabled.mechanisms)", name, proto)
		}
		c.Listeners = append(c.Listeners, l)
	}
	return nil
}

// splitListener parses NAME://host:port.
func splitListener(s string) (string, string, error) {
	name, addr, ok := strings.Cut(s, "://")
	if !ok || name == "" {
		return "", "", fmt.Errorf("listener %q is not NAME://host:port", s)
	}
	if !strings.Contains(addr, ":") {
		return "", "", fmt.Errorf("listener %q has no port", s)
	}
	if strings.HasPrefix(addr, ":") {
		addr = "0.0.0.0" + addr
	}
	if _, err := strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:]); err != nil {
		return "", "", fmt.Errorf("listener %q: bad port", s)
	}
	return strings.ToUpper(name), addr, nil
}

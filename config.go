package minikafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/protocol"
)

// Config configures a broker. The zero value plus one listener is a
// working PLAINTEXT broker; the properties file of `minikafka serve` is
// parsed into the same struct (Kafka key names are given per field).
type Config struct {
	NodeID    int32  // node.id
	ClusterID string // empty: random

	// Listeners (listeners, listener.security.protocol.map,
	// advertised.listeners). Port 0 binds a random port.
	Listeners []Listener

	// DataDir (log.dirs) holds ACLs and SCRAM credentials in bbolt. Empty:
	// everything is kept in memory.
	DataDir string

	NumPartitions           int32         // num.partitions (default 1)
	DisableAutoCreateTopics bool          // auto.create.topics.enable=false
	DisableDeleteTopic      bool          // delete.topic.enable=false
	MaxRequestBytes         int32         // socket.request.max.bytes (default 100 MiB)
	MessageMaxBytes         int32         // message.max.bytes (default 1048588)
	RetentionMs             int64         // log.retention.ms (default 7 days; -1 unlimited)
	RetentionBytes          int64         // log.retention.bytes (default -1)
	IdleTimeout             time.Duration // connections.max.idle.ms (default 10 min)
	MaxConnections          int           // max.connections (0: unlimited)
	MaxConnectionsPerIP     int           // max.connections.per.ip (0: unlimited)
	// GroupInitialRebalanceDelay is group.initial.rebalance.delay.ms
	// (default 0 here: a test double should not make tests wait 3 s).
	GroupInitialRebalanceDelay time.Duration
	// Coordinators configures the group and transaction coordinators
	// (coordinators_wiring.go).
	Coordinators CoordinatorConfig

	// SASL configures authentication.
	SASL SASLConfig
	// Principals builds each connection's principal and groups
	// (principal_wiring.go).
	Principals PrincipalConfig

	// Authorizer configures authorization (authorizer_wiring.go).
	Authorizer AuthorizerConfig
	// OAuth configures OAUTHBEARER validation and the development token
	// issuer (oauth_config.go).
	OAuth OAuthConfig

	// Topics are created at startup (fixtures.go).
	Topics []TopicConfig
	// Fixtures (users, OAuth clients, groups, topics, ACLs) are merged
	// into this Config by New (fixtures.go; minikafka.fixtures.file).
	Fixtures *Fixtures

	// AdminAddr is the admin HTTP listener (/metrics, /healthz, /readyz and
	// the development token issuer), e.g. 127.0.0.1:9644. Empty: none.
	AdminAddr string

	// Logger is the broker log (default: discard). AuditLogger receives
	// the authorizer audit (kafka.authorizer.logger); default Logger.
	Logger      *slog.Logger
	AuditLogger *slog.Logger
	// Registry receives the broker metrics (default: a new registry per
	// broker, never the global one).
	Registry       *prometheus.Registry
	DisableMetrics bool
	// Now is the clock (default time.Now); tests inject one for expiry.
	Now func() time.Time
}

// Listener is one Kafka listener.
type Listener struct {
	Name             string // listener name; default: the security protocol
	Addr             string // host:port to bind
	Advertised       string // host:port told to clients; default the bound address
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
	// Mechanisms enabled on a SASL listener
	// (listener.name.<l>.sasl.enabled.mechanisms / sasl.enabled.mechanisms).
	Mechanisms []string
	// TLS is the server TLS config of SSL and SASL_SSL listeners; its
	// ClientAuth is ssl.client.auth.
	TLS *tls.Config
	// PrincipalMappingRules is ssl.principal.mapping.rules (default DEFAULT).
	PrincipalMappingRules string
	// PlainUsers, when set, replaces SASLConfig.PlainUsers on this listener
	// (listener.name.<l>.plain.sasl.jaas.config).
	PlainUsers map[string]string
}

// SASLConfig configures SASL authentication.
type SASLConfig struct {
	// MaxReceiveBytes is sasl.server.max.receive.size (default 524288).
	MaxReceiveBytes int32
	// FailedAuthenticationDelay is connection.failed.authentication.delay.ms
	// (default 100 ms).
	FailedAuthenticationDelay time.Duration
	// MaxReauth is connections.max.reauth.ms (0: sessions last as long as
	// their credential).
	MaxReauth time.Duration
	// LegacyTokenExpiry restores Kafka 2.x behaviour: an expired token keeps
	// its connection unless MaxReauth is set.
	LegacyTokenExpiry bool
	// PlainUsers are the SASL/PLAIN users (name → password) of listeners
	// without their own Listener.PlainUsers: the user_<name> options of
	// PlainLoginModule in sasl.jaas.config.
	PlainUsers map[string]string
	// PlainCheck, when set, verifies PLAIN passwords instead of the user
	// maps (Kafka's sasl.server.callback.handler.class); an error tells the
	// client "credentials for user could not be verified".
	PlainCheck func(ctx context.Context, user, password string) (bool, error)
	// ScramUsers are seeded into the SCRAM credential store at startup, once
	// per data directory (see ScramUser).
	ScramUsers []ScramUser
}

func (c *Config) setDefaults() error {
	if len(c.Listeners) == 0 {
		return errors.New("minikafka: config: at least one listener is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.AuditLogger == nil {
		c.AuditLogger = c.Logger.With("logger", "kafka.authorizer.logger")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NumPartitions == 0 {
		c.NumPartitions = 1
	}
	if c.NumPartitions < 0 {
		return fmt.Errorf("minikafka: config: num.partitions must be positive, got %d", c.NumPartitions)
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = protocol.DefaultMaxRequestBytes
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 10 * time.Minute
	}
	if c.SASL.FailedAuthenticationDelay == 0 {
		c.SASL.FailedAuthenticationDelay = 100 * time.Millisecond
	}
	if c.SASL.FailedAuthenticationDelay < 0 {
		c.SASL.FailedAuthenticationDelay = 0
	}
	return nil
}

func wireListeners(mb *Broker, bc *broker.Config) error {
	for _, l := range mb.cfg.Listeners {
		lc := broker.ListenerConfig{
			Name:             l.Name,
			Addr:             l.Addr,
			Advertised:       l.Advertised,
			SecurityProtocol: l.SecurityProtocol,
			TLS:              l.TLS,
		}
		if lc.Name == "" {
			lc.Name = l.SecurityProtocol
		}
		mechs, err := buildMechanisms(mb, &l)
		if err != nil {
			return fmt.Errorf("minikafka: listener %s: %w", lc.Name, err)
		}
		lc.Mechanisms = mechs
		bc.Listeners = append(bc.Listeners, lc)
	}
	return nil
}

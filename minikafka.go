package minikafka

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/broker"
	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/bolt"
	"github.com/minikafka/minikafka/storage/mem"
)

// Broker is a minikafka broker: the Kafka listeners plus the stores and
// metrics wired to them.
type Broker struct {
	cfg      Config
	b        *broker.Broker
	registry *prometheus.Registry
	logger   *slog.Logger
	closers  []func() error
	admin    *adminServer
	reg      prometheus.Registerer // where metrics are registered: registry, or a test's recorder
	acls     authorizer.ACLManager // nil when authorization is off
	db       *bolt.DB
	scram    storage.ScramStore // see scramStore
	oauthSt  *oauthState        // OAUTHBEARER and the development issuer (oauth_wiring.go)

	mu      sync.Mutex
	started bool
	closed  bool
}

// New validates cfg and builds a broker. Nothing listens until Start.
func New(cfg Config) (*Broker, error) {
	return newBroker(cfg, nil)
}

// newBroker is New; wrap, when set, wraps the registerer every metric is
// registered through (tests record what is registered).
func newBroker(cfg Config, wrap func(prometheus.Registerer) prometheus.Registerer) (*Broker, error) {
	if cfg.Fixtures != nil {
		if err := cfg.Fixtures.apply(&cfg); err != nil {
			return nil, fmt.Errorf("minikafka: fixtures: %w", err)
		}
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	mb := &Broker{cfg: cfg, registry: cfg.Registry, logger: cfg.Logger}
	if mb.registry == nil {
		mb.registry = prometheus.NewRegistry()
	}
	mb.reg = mb.registry
	if wrap != nil {
		mb.reg = wrap(mb.registry)
	}
	bc := broker.Config{
		NodeID:                cfg.NodeID,
		ClusterID:             cfg.ClusterID,
		Logs:                  mem.LogFactory{},
		Logger:                cfg.Logger,
		AuditLogger:           cfg.AuditLogger,
		Now:                   cfg.Now,
		NumPartitions:         cfg.NumPartitions,
		AutoCreateTopics:      !cfg.DisableAutoCreateTopics,
		DeleteTopicEnable:     !cfg.DisableDeleteTopic,
		MaxRequestBytes:       cfg.MaxRequestBytes,
		MaxSaslReceiveBytes:   cfg.SASL.MaxReceiveBytes,
		MessageMaxBytes:       cfg.MessageMaxBytes,
		RetentionMs:           cfg.RetentionMs,
		RetentionBytes:        cfg.RetentionBytes,
		FailedAuthDelay:       cfg.SASL.FailedAuthenticationDelay,
		MaxReauth:             cfg.SASL.MaxReauth,
		LegacyTokenExpiry:     cfg.SASL.LegacyTokenExpiry,
		IdleTimeout:           cfg.IdleTimeout,
		MaxConnections:        cfg.MaxConnections,
		MaxConnectionsPerIP:   cfg.MaxConnectionsPerIP,
		GroupInitialRebalance: cfg.GroupInitialRebalanceDelay,
	}
	if !cfg.DisableMetrics {
		bc.Metrics = broker.NewMetrics(mb.reg)
	}
	for _, w := range wirers {
		if err := w(mb, &bc); err != nil {
			mb.closeAll()
			return nil, err
		}
	}
	mb.acls = bc.ACLs
	if !cfg.DisableMetrics {
		if err := mb.registerMetrics(); err != nil {
			mb.closeAll()
			return nil, err
		}
	}
	b, err := broker.New(bc)
	if err != nil {
		mb.closeAll()
		return nil, fmt.Errorf("minikafka: %w", err)
	}
	mb.b = b
	if err := mb.createTopics(); err != nil {
		mb.closeAll()
		return nil, err
	}
	return mb, nil
}

// wirers build one part of the broker config each (listeners, SASL,
// principals, authorizer, ...); they run in order in New.
var wirers = []func(mb *Broker, bc *broker.Config) error{wireListeners}

func (mb *Broker) closeAll() {
	for i := len(mb.closers) - 1; i >= 0; i-- {
		if err := mb.closers[i](); err != nil {
			mb.logger.Warn("close", "err", err)
		}
	}
	mb.closers = nil
}

// Start binds the listeners (and the admin HTTP listener when configured)
// and starts serving.
func (mb *Broker) Start() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if mb.closed {
		return errors.New("minikafka: broker closed")
	}
	if mb.started {
		return errors.New("minikafka: broker already started")
	}
	if err := mb.b.Start(); err != nil {
		return fmt.Errorf("minikafka: %w", err)
	}
	if mb.cfg.AdminAddr != "" {
		a, err := startAdmin(mb, mb.cfg.AdminAddr)
		if err != nil {
			_ = mb.b.Close()
			return fmt.Errorf("minikafka: admin listener: %w", err)
		}
		mb.admin = a
	}
	mb.started = true
	return nil
}

// Close stops the broker: it stops accepting, waits for requests in
// flight, closes connections and stores. Safe to call more than once.
func (mb *Broker) Close() error {
	mb.mu.Lock()
	if mb.closed {
		mb.mu.Unlock()
		return nil
	}
	mb.closed = true
	mb.mu.Unlock()
	if mb.admin != nil {
		mb.admin.close()
	}
	err := mb.b.Close()
	mb.closeAll()
	return err
}

// Listeners describes the bound listeners (after Start).
func (mb *Broker) Listeners() []broker.Listener { return mb.b.Listeners() }

// Addr returns the bound address of the named listener ("" if none).
func (mb *Broker) Addr(listener string) string {
	for _, l := range mb.b.Listeners() {
		if l.Name == listener {
			return l.Addr
		}
	}
	return ""
}

// BootstrapAddr returns the bound address of the first listener.
func (mb *Broker) BootstrapAddr() string {
	ls := mb.b.Listeners()
	if len(ls) == 0 {
		return ""
	}
	return ls[0].Addr
}

// Registry returns the broker's own Prometheus registry.
func (mb *Broker) Registry() *prometheus.Registry { return mb.registry }

// MetricsHandler serves the broker's metrics in the Prometheus format.
func (mb *Broker) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(mb.registry, promhttp.HandlerOpts{Registry: mb.registry})
}

// AdminAddr returns the bound address of the admin HTTP listener.
func (mb *Broker) AdminAddr() string {
	if mb.admin == nil {
		return ""
	}
	return mb.admin.addr
}

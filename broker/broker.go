// Package broker is minikafka's single-node Kafka broker: listeners, the
// per-connection authentication gate, request dispatch (one file per API,
// named after its key), topic, partition and group state, and the
// enforcement point where every request is authorized, audited and
// counted. It depends only on the interfaces of packages sasl, principal,
// authorizer and storage; the root package wires implementations in.
package broker

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/sasl"
	"github.com/minikafka/minikafka/storage"
)

// Security protocols, as Kafka names them.
const (
	Plaintext     = "PLAINTEXT"
	SSL           = "SSL"
	SaslPlaintext = "SASL_PLAINTEXT"
	SaslSSL       = "SASL_SSL"
)

// Config is everything a Broker needs. The root package builds it from
// minikafka.Config; New validates it.
type Config struct {
	NodeID    int32
	ClusterID string
	Listeners []ListenerConfig

	Logs       storage.LogFactory
	Authorizer authorizer.Authorizer // nil: authorization is off
	// ACLs manages ACLs for CreateAcls/DescribeAcls/DeleteAcls; nil answers
	// SECURITY_DISABLED as Kafka does without an authorizer.
	ACLs authorizer.ACLManager
	// Principals builds the subject of each authenticated connection.
	Principals principal.Builder
	// Scram manages SCRAM credentials for Describe/AlterUserScramCredentials
	// (nil: those APIs answer with an error).
	Scram ScramManager

	Logger      *slog.Logger // broker log
	AuditLogger *slog.Logger // kafka.authorizer.logger equivalent
	Metrics     *Metrics     // nil: no metrics
	Now         func() time.Time

	NumPartitions          int32
	DefaultReplication     int16
	AutoCreateTopics       bool
	DeleteTopicEnable      bool
	MaxRequestBytes        int32 // socket.request.max.bytes
	MaxSaslReceiveBytes    int32 // sasl.server.max.receive.size
	MessageMaxBytes        int32
	RetentionMs            int64 // -1: unlimited
	RetentionBytes         int64 // -1: unlimited
	FailedAuthDelay        time.Duration
	MaxReauth              time.Duration // connections.max.reauth.ms (0: off)
	LegacyTokenExpiry      bool          // 2.x behaviour: expired sessions keep their connection
	IdleTimeout            time.Duration // connections.max.idle.ms (0: none)
	GroupInitialRebalance  time.Duration // group.initial.rebalance.delay.ms
	GroupMinSessionTimeout time.Duration // group.min.session.timeout.ms (default 6 s)
	GroupMaxSessionTimeout time.Duration // group.max.session.timeout.ms (default 30 min)
	TransactionTimeoutMax  time.Duration // transaction.max.timeout.ms
	OffsetsRetention       time.Duration
	MaxConnections         int
	MaxConnectionsPerIP    int
	StaticBrokerConfigs    map[string]string
	ListenerReadyCallbacks []func()
}

// ListenerConfig is one listener: a name, an address and its security.
type ListenerConfig struct {
	Name             string // e.g. PLAINTEXT, SASL_PLAINTEXT, CLIENT
	Addr             string // host:port to bind (port 0: random)
	Advertised       string // host:port clients are told; empty: the bound address
	SecurityProtocol string
	// TLS is the server TLS configuration for SSL and SASL_SSL listeners
	// (ClientAuth carries ssl.client.auth).
	TLS *tls.Config
	// Mechanisms are the SASL mechanisms enabled on this listener.
	Mechanisms []sasl.Mechanism
}

// ScramManager is what the broker needs to serve the SCRAM user APIs.
type ScramManager interface {
	// Describe returns the iterations per mechanism of user; ok=false when
	// the user has no credential.
	Describe(ctx context.Context, user string) (map[string]int32, bool, error)
	// List returns every user with a credential.
	List(ctx context.Context) ([]string, error)
	// Upsert stores a credential derived by the client (KIP-554).
	Upsert(ctx context.Context, user, mechanism string, iterations int32, salt, saltedPassword []byte) error
	// Delete removes a credential; ok=false when there was none.
	Delete(ctx context.Context, user, mechanism string) (bool, error)
}

// Broker is a running (or ready to run) minikafka broker.
type Broker struct {
	cfg   Config
	log   *slog.Logger
	audit *slog.Logger
	m     *Metrics

	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners []*listener
	conns     map[*conn]struct{}
	perIP     map[string]int
	started   bool
	closed    bool
	wg        sync.WaitGroup // accept loops and connections
	closing   atomic.Bool

	topics   *topicState
	groups   *groupCoordinator
	txns     *txnCoordinator
	pids     *producerIDs
	started0 time.Time
}

// New validates cfg and returns a broker that is not yet listening.
func New(cfg Config) (*Broker, error) {
	if err := validate(&cfg); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{
		cfg:    cfg,
		log:    cfg.Logger,
		audit:  cfg.AuditLogger,
		m:      cfg.Metrics,
		ctx:    ctx,
		cancel: cancel,
		conns:  make(map[*conn]struct{}),
		perIP:  make(map[string]int),
	}
	b.topics = newTopicState(b)
	b.groups = newGroupCoordinator(b)
	b.txns = newTxnCoordinator(b)
	b.pids = newProducerIDs()
	b.m.attach(b)
	return b, nil
}

func validate(cfg *Config) error {
	if len(cfg.Listeners) == 0 {
		return errors.New("broker config: at least one listener is required")
	}
	names := map[string]bool{}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		if l.Name == "" {
			l.Name = l.SecurityProtocol
		}
		if names[l.Name] {
			return fmt.Errorf("broker config: listener %q defined twice", l.Name)
		}
		names[l.Name] = true
		switch l.SecurityProtocol {
		case Plaintext, SSL, SaslPlaintext, SaslSSL:
		default:
			return fmt.Errorf("broker config: listener %q: unknown security protocol %q", l.Name, l.SecurityProtocol)
		}
		isTLS := l.SecurityProtocol == SSL || l.SecurityProtocol == SaslSSL
		if isTLS && l.TLS == nil {
			return fmt.Errorf("broker config: listener %q: %s needs a TLS keystore", l.Name, l.SecurityProtocol)
		}
		isSASL := l.SecurityProtocol == SaslPlaintext || l.SecurityProtocol == SaslSSL
		if isSASL && len(l.Mechanisms) == 0 {
			return fmt.Errorf("broker config: listener %q: %s needs at least one SASL mechanism", l.Name, l.SecurityProtocol)
		}
		if _, _, err := net.SplitHostPort(l.Addr); err != nil {
			return fmt.Errorf("broker config: listener %q: address %q: %w", l.Name, l.Addr, err)
		}
	}
	if cfg.Logs == nil {
		return errors.New("broker config: a log factory is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AuditLogger == nil {
		cfg.AuditLogger = cfg.Logger.With("logger", "kafka.authorizer.logger")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClusterID == "" {
		cfg.ClusterID = randomClusterID()
	}
	if cfg.NumPartitions <= 0 {
		cfg.NumPartitions = 1
	}
	if cfg.DefaultReplication <= 0 {
		cfg.DefaultReplication = 1
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = protocol.DefaultMaxRequestBytes
	}
	if cfg.MaxSaslReceiveBytes <= 0 {
		cfg.MaxSaslReceiveBytes = 524288
	}
	if cfg.MessageMaxBytes <= 0 {
		cfg.MessageMaxBytes = 1048588
	}
	if cfg.RetentionMs == 0 {
		cfg.RetentionMs = 7 * 24 * 3600 * 1000
	}
	if cfg.RetentionBytes == 0 {
		cfg.RetentionBytes = -1
	}
	if cfg.TransactionTimeoutMax == 0 {
		cfg.TransactionTimeoutMax = 15 * time.Minute
	}
	if cfg.GroupMinSessionTimeout == 0 {
		cfg.GroupMinSessionTimeout = 6 * time.Second
	}
	if cfg.GroupMaxSessionTimeout == 0 {
		cfg.GroupMaxSessionTimeout = 30 * time.Minute
	}
	if cfg.GroupMinSessionTimeout > cfg.GroupMaxSessionTimeout {
		return fmt.Errorf("broker config: group.min.session.timeout.ms %v exceeds group.max.session.timeout.ms %v", cfg.GroupMinSessionTimeout, cfg.GroupMaxSessionTimeout)
	}
	if cfg.OffsetsRetention == 0 {
		cfg.OffsetsRetention = 7 * 24 * time.Hour
	}
	if cfg.Principals == nil {
		cfg.Principals = principal.BuilderFunc(defaultBuild)
	}
	return nil
}

// defaultBuild is Kafka's DefaultKafkaPrincipalBuilder without groups, used
// when no builder is configured.
func defaultBuild(_ context.Context, ac *principal.AuthContext) (*principal.Subject, error) {
	if ac.Mechanism != "" {
		return &principal.Subject{User: principal.User(ac.AuthorizationID), Expiry: ac.CredentialExpiry, Context: ac}, nil
	}
	return principal.AnonymousSubject(ac), nil
}

func randomClusterID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	out := make([]byte, 22)
	for i := range out {
		out[i] = alphabet[int(b[i%16]^byte(i*7))%len(alphabet)]
	}
	return string(out)
}

// Start binds every listener and starts serving. It returns once all
// listeners accept connections.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return errors.New("broker already started")
	}
	if b.closed {
		return errors.New("broker closed")
	}
	for i := range b.cfg.Listeners {
		l, err := b.listen(&b.cfg.Listeners[i])
		if err != nil {
			for _, l := range b.listeners {
				_ = l.ln.Close()
			}
			b.listeners = nil
			return err
		}
		b.listeners = append(b.listeners, l)
	}
	b.started = true
	b.started0 = b.cfg.Now()
	for _, l := range b.listeners {
		b.wg.Add(1)
		go b.acceptLoop(l)
	}
	b.wg.Add(1)
	go b.housekeeping()
	return nil
}

// Close stops accepting, waits for requests in flight to finish, closes
// every connection and releases resources. It is safe to call twice.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	for _, l := range b.listeners {
		_ = l.ln.Close()
	}
	b.mu.Unlock()
	b.closing.Store(true)
	// Each connection finishes the request it is handling, flushes its
	// responses and closes: the read deadline stops the next read.
	b.mu.Lock()
	for c := range b.conns {
		_ = c.nc.SetReadDeadline(time.Now())
	}
	b.mu.Unlock()
	b.cancel() // wakes long polls and group waits
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		// A client that stopped reading keeps its connection's writer
		// blocked (until connections.max.idle.ms): close what is left.
		b.mu.Lock()
		n := len(b.conns)
		for c := range b.conns {
			c.close()
		}
		b.mu.Unlock()
		b.log.Warn("closing: connections still writing after the grace period were closed", "connections", n, "grace", closeGrace)
		<-done
	}
	return nil
}

// closeGrace is how long Close lets connections flush their responses
// before closing them.
const closeGrace = 5 * time.Second

// Listener describes a bound listener.
type Listener struct {
	Name             string
	SecurityProtocol string
	Addr             string // bound address
	Advertised       string
	Mechanisms       []string
}

// Listeners returns the bound listeners (after Start).
func (b *Broker) Listeners() []Listener {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Listener, 0, len(b.listeners))
	for _, l := range b.listeners {
		out = append(out, Listener{Name: l.cfg.Name, SecurityProtocol: l.cfg.SecurityProtocol, Addr: l.ln.Addr().String(), Advertised: l.advertised, Mechanisms: l.mechNames})
	}
	return out
}

// ClusterID returns the cluster id.
func (b *Broker) ClusterID() string { return b.cfg.ClusterID }

func (b *Broker) now() time.Time { return b.cfg.Now() }

// housekeeping runs retention, group session expiry and transaction
// timeouts once a second.
func (b *Broker) housekeeping() {
	defer b.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
			b.topics.retain()
			b.txns.expire()
		}
	}
}

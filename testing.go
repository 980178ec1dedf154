package minikafka

// TB is the part of testing.TB that Start uses (so that the library does
// not import package testing).
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Option adjusts the Config used by Start.
type Option func(*Config)

// WithConfig replaces the whole config (listeners default to one
// PLAINTEXT listener on 127.0.0.1:0 if none is set).
func WithConfig(c Config) Option { return func(dst *Config) { *dst = c } }

// WithListener adds a listener.
func WithListener(l Listener) Option {
	return func(c *Config) { c.Listeners = append(c.Listeners, l) }
}

// WithPartitions sets num.partitions.
func WithPartitions(n int32) Option { return func(c *Config) { c.NumPartitions = n } }

// Start starts a broker on loopback for a test and closes it when the test
// ends. With no listener option it has one PLAINTEXT listener on a random
// port. It returns the broker and the bootstrap address of its first
// listener.
func Start(tb TB, opts ...Option) (*Broker, string) {
	tb.Helper()
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.Listeners) == 0 {
		cfg.Listeners = []Listener{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}}
	}
	b, err := New(cfg)
	if err != nil {
		tb.Fatalf("minikafka.Start: %v", err)
		return nil, ""
	}
	if err := b.Start(); err != nil {
		tb.Fatalf("minikafka.Start: %v", err)
		return nil, ""
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b, b.BootstrapAddr()
}

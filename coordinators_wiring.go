package minikafka

import (
	"time"

	"github.com/minikafka/minikafka/broker"
)

// CoordinatorConfig configures the group and transaction coordinators. Zero
// values take Kafka's defaults (given per field with the key name).
type CoordinatorConfig struct {
	// MinSessionTimeout and MaxSessionTimeout bound the session timeout a
	// JoinGroup may ask for (group.min.session.timeout.ms, default 6 s;
	// group.max.session.timeout.ms, default 30 min); outside them the join
	// fails with INVALID_SESSION_TIMEOUT.
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	// OffsetsRetention is how long the offsets of an empty group are kept
	// (offsets.retention.minutes, default 7 days).
	OffsetsRetention time.Duration
	// TransactionMaxTimeout caps the transaction timeout a producer may ask
	// for (transaction.max.timeout.ms, default 15 min).
	TransactionMaxTimeout time.Duration
}

func init() {
	wirers = append(wirers, wireCoordinators)
	propertySections = append(propertySections, coordinatorProperties)
}

func wireCoordinators(mb *Broker, bc *broker.Config) error {
	g := mb.cfg.Coordinators
	bc.GroupMinSessionTimeout = g.MinSessionTimeout
	bc.GroupMaxSessionTimeout = g.MaxSessionTimeout
	bc.OffsetsRetention = g.OffsetsRetention
	bc.TransactionTimeoutMax = g.TransactionMaxTimeout
	return nil
}

// coordinatorProperties reads the group and transaction coordinator keys.
func coordinatorProperties(p *Properties, c *Config) error {
	for _, err := range []error{
		p.Millis("group.min.session.timeout.ms", func(d time.Duration) { c.Coordinators.MinSessionTimeout = d }),
		p.Millis("group.max.session.timeout.ms", func(d time.Duration) { c.Coordinators.MaxSessionTimeout = d }),
		p.Int("offsets.retention.minutes", 32, func(n int64) { c.Coordinators.OffsetsRetention = time.Duration(n) * time.Minute }),
		p.Millis("transaction.max.timeout.ms", func(d time.Duration) { c.Coordinators.TransactionMaxTimeout = d }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

package minikafka

import (
	"fmt"

	"github.com/minikafka/minikafka/sasl"
)

// mechanismFactories build a server-side mechanism by its Kafka name for a
// listener; the file of each mechanism registers itself in init.
var mechanismFactories = map[string]func(mb *Broker, l *Listener) (sasl.Mechanism, error){}

// buildMechanisms returns the SASL mechanisms of a listener.
func buildMechanisms(mb *Broker, l *Listener) ([]sasl.Mechanism, error) {
	var out []sasl.Mechanism
	for _, name := range l.Mechanisms {
		f, ok := mechanismFactories[name]
		if !ok {
			return nil, fmt.Errorf("SASL mechanism %q is not supported (supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)", name)
		}
		m, err := f(mb, l)
		if err != nil {
			return nil, fmt.Errorf("SASL mechanism %s: %w", name, err)
		}
		out = append(out, m)
	}
	return out, nil
}

package minikafka

import (
	"fmt"

	"github.com/minikafka/minikafka/sasl"
)

// buildMechanisms returns the SASL mechanisms of a listener.
func buildMechanisms(mb *Broker, l *Listener) ([]sasl.Mechanism, error) {
	if len(l.Mechanisms) > 0 {
		return nil, fmt.Errorf("SASL mechanisms are not available yet")
	}
	return nil, nil
}

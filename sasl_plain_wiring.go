package minikafka

// SASL/PLAIN wiring: the "PLAIN" mechanism factory and its Kafka property
// keys. Users come from Listener.PlainUsers, else SASLConfig.PlainUsers
// (Go), which the properties fill from the JAAS line Kafka users write:
//
//	listener.name.<l>.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";
//
// The unprefixed sasl.jaas.config is read as a fallback for every PLAIN
// listener without its own line (Kafka brokers ignore it; minikafka accepts
// it because users copy it from client configs). SASLConfig.PlainCheck
// replaces the user maps (Kafka's sasl.server.callback.handler.class).

import (
	"fmt"
	"strings"

	"github.com/minikafka/minikafka/sasl"
	"github.com/minikafka/minikafka/sasl/jaas"
	"github.com/minikafka/minikafka/sasl/plain"
)

// Login module classes minikafka understands in JAAS lines.
const (
	plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

func init() {
	mechanismFactories[sasl.Plain] = newPlainMechanism
	propertySections = append(propertySections, plainProperties)
}

func newPlainMechanism(mb *Broker, l *Listener) (sasl.Mechanism, error) {
	if check := mb.cfg.SASL.PlainCheck; check != nil {
		return plain.NewWithCheck(check), nil
	}
	users := l.PlainUsers
	if users == nil {
		users = mb.cfg.SASL.PlainUsers
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("no PLAIN users: set Config.SASL.PlainUsers or listener.name.%s.plain.sasl.jaas.config=%s required user_<name>=\"<password>\";",
			strings.ToLower(listenerName(l)), plainLoginModule)
	}
	return plain.New(users), nil
}

func listenerName(l *Listener) string {
	if l.Name != "" {
		return l.Name
	}
	return l.SecurityProtocol
}

// plainProperties reads the PLAIN users of every listener that enables
// PLAIN from its JAAS line.
func plainProperties(p *Properties, c *Config) error {
	var global map[string]string
	globalRead := false
	for i := range c.Listeners {
		l := &c.Listeners[i]
		key := "listener.name." + strings.ToLower(listenerName(l)) + ".plain.sasl.jaas.config"
		if v, ok := p.Get(key); ok {
			users, err := plainJAASUsers(p, key, v)
			if err != nil {
				return err
			}
			l.PlainUsers = users
			continue
		}
		if !hasMechanism(l, sasl.Plain) {
			continue
		}
		if !globalRead {
			globalRead = true
			if v, ok := p.Get("sasl.jaas.config"); ok {
				users, err := plainJAASUsers(p, "sasl.jaas.config", v)
				if err != nil {
					return err
				}
				global = users
			}
		}
		if global != nil && l.PlainUsers == nil {
			l.PlainUsers = global
		}
	}
	return nil
}

// plainJAASUsers parses a PlainLoginModule line and returns its user_<name>
// options; a malformed line is an error naming file:line.
func plainJAASUsers(p *Properties, key, value string) (map[string]string, error) {
	e, err := jaas.ParseOne(value)
	if err != nil {
		return nil, p.Errorf(key, "%v", err)
	}
	if e.LoginModule != plainLoginModule {
		return nil, p.Errorf(key, "login module %s cannot configure PLAIN users (want %s)", e.LoginModule, plainLoginModule)
	}
	users := map[string]string{}
	for _, k := range e.OptionKeys() {
		if name, ok := strings.CutPrefix(k, "user_"); ok {
			users[name] = e.Options[k]
		}
	}
	if len(users) == 0 {
		return nil, p.Errorf(key, "no user_<name>=\"<password>\" option: no one could log in with PLAIN")
	}
	return users, nil
}

func hasMechanism(l *Listener, mech string) bool {
	for _, m := range l.Mechanisms {
		if m == mech {
			return true
		}
	}
	return false
}

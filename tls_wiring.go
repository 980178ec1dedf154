package minikafka

// TLS listeners from Kafka's properties: SSL and SASL_SSL listeners get
// their *tls.Config from PEM key and trust stores (ssl.keystore.type=PEM),
// each key read first with the listener prefix listener.name.<l>. and then
// without it. Kafka's rule for ssl.client.auth is kept: on SASL_SSL only
// listener.name.<l>.ssl.client.auth applies, and a broker-wide value other
// than none is reported with Kafka's WARN. Go users set Listener.TLS
// directly (PEMTLS.TLSConfig builds one from PEM bytes).

import (
	"crypto/tls"
	"os"
	"strings"
)

func init() { propertySections = append(propertySections, tlsProperties) }

const sslClientAuthWarning = "Broker configuration 'ssl.client.auth' is applied only to SSL listeners. Listener-prefixed configuration can be used" +
	" to enable SSL client authentication for SASL_SSL listeners. In future releases, broker-wide option without" +
	" listener prefix may be applied to SASL_SSL listeners as well. All configuration options intended for specific" +
	" listeners should be listener-prefixed."

// listenerProps reads one listener's keys, prefixed first.
type listenerProps struct {
	p      *Properties
	prefix string
}

// get returns the value of name and the key it was read from.
func (lp listenerProps) get(name string) (value, key string, ok bool) {
	if v, ok := lp.p.Get(lp.prefix + name); ok {
		return v, lp.prefix + name, true
	}
	if v, ok := lp.p.Get(name); ok {
		return v, name, true
	}
	return "", "", false
}

func tlsProperties(p *Properties, c *Config) error {
	for i := range c.Listeners {
		l := &c.Listeners[i]
		if l.TLS != nil || (l.SecurityProtocol != "SSL" && l.SecurityProtocol != "SASL_SSL") {
			continue
		}
		cfg, err := listenerTLS(listenerProps{p: p, prefix: "listener.name." + strings.ToLower(listenerName(l)) + "."}, l)
		if err != nil {
			return err
		}
		l.TLS = cfg
	}
	return nil
}

func listenerTLS(lp listenerProps, l *Listener) (*tls.Config, error) {
	p := lp.p
	var pt PEMTLS
	for _, name := range []string{"ssl.keystore.type", "ssl.truststore.type"} {
		if v, key, ok := lp.get(name); ok && !strings.EqualFold(v, "PEM") {
			return nil, p.Errorf(key, "%s key stores are not supported by minikafka: use PEM (KIP-651)", v)
		}
	}
	if _, key, ok := lp.get("ssl.keystore.password"); ok {
		return nil, p.Errorf(key, "SSL key store password cannot be specified with PEM format, only key password may be specified")
	}
	if _, key, ok := lp.get("ssl.truststore.password"); ok {
		return nil, p.Errorf(key, "SSL trust store password cannot be specified for PEM format.")
	}
	chain, chainKey, hasChain := lp.get("ssl.keystore.certificate.chain")
	keyPEM, keyKey, hasKey := lp.get("ssl.keystore.key")
	loc, locKey, hasLoc := lp.get("ssl.keystore.location")
	switch {
	case hasLoc && (hasChain || hasKey):
		return nil, p.Errorf(locKey, "give either ssl.keystore.location or ssl.keystore.certificate.chain with ssl.keystore.key, not both")
	case hasLoc:
		b, err := os.ReadFile(loc)
		if err != nil {
			return nil, p.Errorf(locKey, "%v", err)
		}
		pt.CertificateChain, pt.Key = b, b
	case hasChain != hasKey:
		missing := "ssl.keystore.key"
		if !hasChain {
			missing, chainKey = "ssl.keystore.certificate.chain", keyKey
		}
		return nil, p.Errorf(chainKey, "%s is required too", missing)
	case hasChain:
		pt.CertificateChain, pt.Key = []byte(chain), []byte(keyPEM)
	default:
		return nil, p.Errorf("listeners", "listener %s is %s but has no key store (ssl.keystore.location, or ssl.keystore.certificate.chain and ssl.keystore.key)", l.Name, l.SecurityProtocol)
	}
	pt.KeyPassword, _, _ = lp.get("ssl.key.password")
	trustCerts, trustKey, hasTrust := lp.get("ssl.truststore.certificates")
	if tloc, tlocKey, ok := lp.get("ssl.truststore.location"); ok {
		if hasTrust {
			return nil, p.Errorf(tlocKey, "give either ssl.truststore.location or ssl.truststore.certificates, not both")
		}
		b, err := os.ReadFile(tloc)
		if err != nil {
			return nil, p.Errorf(tlocKey, "%v", err)
		}
		pt.Truststore, trustKey = b, tlocKey
	} else if hasTrust {
		pt.Truststore = []byte(trustCerts)
	}
	clientAuth, authKey := clientAuthFor(lp, l)
	pt.ClientAuth = clientAuth
	cfg, err := pt.TLSConfig()
	if err != nil {
		key := locKey
		switch {
		case strings.HasPrefix(err.Error(), "ssl.client.auth"):
			key = authKey
		case strings.HasPrefix(err.Error(), "truststore"):
			key = trustKey
		case key == "":
			key = chainKey
		}
		return nil, p.Errorf(key, "listener %s: %v", l.Name, err)
	}
	if err := tlsVersions(lp, cfg); err != nil {
		return nil, err
	}
	lp.get("ssl.protocol")                          // accepted: Go negotiates the best enabled version
	lp.get("ssl.endpoint.identification.algorithm") // client-side setting
	return cfg, nil
}

// clientAuthFor applies Kafka's rule: SSL listeners read the prefixed then
// the broker-wide ssl.client.auth; SASL_SSL listeners only the prefixed
// one, with a WARN when a broker-wide value would have required more.
func clientAuthFor(lp listenerProps, l *Listener) (value, key string) {
	if l.SecurityProtocol == "SSL" {
		v, k, _ := lp.get("ssl.client.auth")
		return v, k
	}
	if v, ok := lp.p.Get(lp.prefix + "ssl.client.auth"); ok {
		return v, lp.prefix + "ssl.client.auth"
	}
	if v, ok := lp.p.Get("ssl.client.auth"); ok && !strings.EqualFold(v, "none") {
		lp.p.Warnf("ssl.client.auth", "listener %s (SASL_SSL): %s", l.Name, sslClientAuthWarning)
	}
	return "none", ""
}

// tlsVersions reads ssl.enabled.protocols (TLSv1.2, TLSv1.3).
func tlsVersions(lp listenerProps, cfg *tls.Config) error {
	v, key, ok := lp.get("ssl.enabled.protocols")
	if !ok {
		return nil
	}
	cfg.MinVersion, cfg.MaxVersion = 0, 0
	for _, proto := range strings.Split(v, ",") {
		var ver uint16
		switch strings.TrimSpace(proto) {
		case "TLSv1.2":
			ver = tls.VersionTLS12
		case "TLSv1.3":
			ver = tls.VersionTLS13
		case "":
			continue
		default:
			return lp.p.Errorf(key, "protocol %q is not supported (TLSv1.2, TLSv1.3)", strings.TrimSpace(proto))
		}
		if cfg.MinVersion == 0 || ver < cfg.MinVersion {
			cfg.MinVersion = ver
		}
		if ver > cfg.MaxVersion {
			cfg.MaxVersion = ver
		}
	}
	if cfg.MinVersion == 0 {
		return lp.p.Errorf(key, "no protocol enabled")
	}
	return nil
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/minikafka/minikafka"
)

// clientFlags are the connection flags of every admin command. They mirror
// Kafka's tools: --bootstrap-server and --command-config (a Kafka client
// properties file for secured listeners).
type clientFlags struct {
	bootstrap     string
	commandConfig string
	output        string
	timeout       time.Duration
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.bootstrap, "bootstrap-server", "127.0.0.1:9092", "Kafka bootstrap address (minikafka or any Kafka cluster)")
	cmd.PersistentFlags().StringVar(&f.commandConfig, "command-config", "", "Kafka client properties file (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.*)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
	cmd.PersistentFlags().DurationVar(&f.timeout, "timeout", 15*time.Second, "time limit for the whole command")
}

func (f *clientFlags) validate() error {
	if f.output != "table" && f.output != "json" {
		return fmt.Errorf("--output: want table or json, got %q", f.output)
	}
	return nil
}

// admin connects and returns an admin client; close it when done.
func (f *clientFlags) admin() (*kadm.Client, func(), error) {
	cl, err := f.client()
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl.Close, nil
}

// client connects and returns a Kafka client; close it when done.
func (f *clientFlags) client() (*kgo.Client, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(f.bootstrap, ",")...), kgo.DialTimeout(5 * time.Second), kgo.RequestRetries(2)}
	if f.commandConfig != "" {
		more, err := clientOptions(f.commandConfig)
		if err != nil {
			return nil, err
		}
		opts = append(opts, more...)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return cl, nil
}

func (f *clientFlags) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), f.timeout)
}

var jaasOption = regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// clientOptions turns a Kafka client properties file into kgo options.
func clientOptions(path string) ([]kgo.Opt, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--command-config: %w", err)
	}
	defer fh.Close()
	p, err := minikafka.ParseProperties(fh, path)
	if err != nil {
		return nil, err
	}
	var opts []kgo.Opt
	proto, _ := p.Get("security.protocol")
	proto = strings.ToUpper(proto)
	if proto == "SSL" || proto == "SASL_SSL" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if ca, ok := p.Get("ssl.truststore.location"); ok {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, p.Errorf("ssl.truststore.location", "%v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, p.Errorf("ssl.truststore.location", "no PEM certificate in %s", ca)
			}
			tc.RootCAs = pool
		}
		certFile, hasCert := p.Get("ssl.keystore.location")
		if hasCert {
			keyFile, ok := p.Get("ssl.key.location")
			if !ok {
				keyFile = certFile // a PEM keystore holding both
			}
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, p.Errorf("ssl.keystore.location", "%v", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if proto == "SASL_PLAINTEXT" || proto == "SASL_SSL" {
		mech, _ := p.Get("sasl.mechanism")
		jaas, _ := p.Get("sasl.jaas.config")
		kv := map[string]string{}
		for _, m := range jaasOption.FindAllStringSubmatch(jaas, -1) {
			kv[m[1]] = strings.ReplaceAll(m[2], `\"`, `"`)
		}
		user, pass := kv["username"], kv["password"]
		switch strings.ToUpper(mech) {
		case "", "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		case "OAUTHBEARER":
			endpoint, _ := p.Get("sasl.oauthbearer.token.endpoint.url")
			id, _ := p.Get("sasl.oauthbearer.client.credentials.client.id")
			secret, _ := p.Get("sasl.oauthbearer.client.credentials.client.secret")
			if id == "" {
				id, secret = kv["clientId"], kv["clientSecret"]
			}
			scope, _ := p.Get("sasl.oauthbearer.scope")
			if endpoint == "" {
				return nil, p.Errorf("sasl.mechanism", "OAUTHBEARER needs sasl.oauthbearer.token.endpoint.url")
			}
			opts = append(opts, kgo.SASL(oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
				tok, err := clientCredentials(ctx, endpoint, id, secret, scope)
				return oauth.Auth{Token: tok}, err
			})))
		default:
			return nil, p.Errorf("sasl.mechanism", "unsupported mechanism %q", mech)
		}
	}
	return opts, nil
}

// clientCredentials runs the OAuth 2.0 client-credentials grant
// (client_secret_basic) and returns the access token.
func clientCredentials(ctx context.Context, endpoint, id, secret, scope string) (string, error) {
	resp, err := fetchToken(ctx, endpoint, id, secret, scope)
	if err != nil {
		return "", err
	}
	return resp.AccessToken, nil
}

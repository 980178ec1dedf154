package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/minikafka/minikafka"
	"github.com/minikafka/minikafka/broker"
)

func init() { commands = append(commands, serveCommand) }

type serveFlags struct {
	config    string
	fixtures  string
	adminAddr string
	logLevel  string
	logFormat string
	overrides []string
}

func serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the broker (no arguments: the secured development default on 127.0.0.1:9092)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.OutOrStdout(), cmd.ErrOrStderr(), f)
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", "", "Kafka-style server.properties file")
	cmd.Flags().StringVar(&f.fixtures, "fixtures", "", "YAML fixtures: users, OAuth clients, groups, topics, ACLs (overrides minikafka.fixtures.file; without -c they replace the demo users and ACLs)")
	cmd.Flags().StringVar(&f.adminAddr, "admin-addr", "", "admin HTTP listener for /metrics and /healthz (overrides admin.listener)")
	cmd.Flags().StringVar(&f.logLevel, "log-level", "info", "log level (trace, debug, info, warn, error), optionally per logger: info,kafka.authorizer.logger=debug")
	cmd.Flags().StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	cmd.Flags().StringArrayVar(&f.overrides, "override", nil, "key=value overriding the properties file (repeatable)")
	return cmd
}

func serve(stdout, stderr io.Writer, f serveFlags) error {
	logger, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	var cfg minikafka.Config
	dev := f.config == "" && len(f.overrides) == 0
	if dev {
		cfg = minikafka.DevConfig()
	} else {
		props := &minikafka.Properties{}
		if f.config != "" {
			fh, err := os.Open(f.config)
			if err != nil {
				return fmt.Errorf("reading config: %w", err)
			}
			props, err = minikafka.ParseProperties(fh, f.config)
			fh.Close()
			if err != nil {
				return err
			}
		} else {
			props, _ = minikafka.ParseProperties(strings.NewReader(""), "--override")
		}
		for _, o := range f.overrides {
			k, v, ok := strings.Cut(o, "=")
			if !ok {
				return fmt.Errorf("--override %q: want key=value", o)
			}
			props.Set(k, v)
		}
		warnings, err := props.Apply(&cfg)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			logger.Warn(w)
		}
	}
	if f.fixtures != "" {
		fx, err := minikafka.LoadFixtures(f.fixtures)
		if err != nil {
			return err
		}
		if dev {
			// The file says who exists and what they may do: no demo
			// users, clients or ACLs next to its own.
			cfg.SASL.PlainUsers, cfg.SASL.ScramUsers, cfg.OAuth.Issuer.Clients = nil, nil, nil
			cfg.Authorizer = minikafka.AuthorizerConfig{}
		}
		cfg.Fixtures = fx
	}
	if f.adminAddr != "" {
		cfg.AdminAddr = f.adminAddr
	}
	cfg.Logger = logger
	b, err := minikafka.New(cfg)
	if err != nil {
		return err
	}
	if err := b.Start(); err != nil {
		return err
	}
	printBanner(stdout, b, dev && cfg.Fixtures == nil, bannerUsers(dev, cfg.Fixtures), bannerClients(dev, cfg.Fixtures))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("shutting down", "signal", s.String())
	return b.Close()
}

// bannerUser is a login the banner's sample client configs use.
type bannerUser struct {
	name, password string
	mechanisms     []string // empty: every mechanism
}

// bannerUsers are the logins the banner may show: the demo users of the
// development default, or the fixtures' users.
func bannerUsers(dev bool, fx *minikafka.Fixtures) []bannerUser {
	var out []bannerUser
	if fx != nil {
		for _, u := range fx.Users {
			out = append(out, bannerUser{u.Name, u.Password, u.Mechanisms})
		}
		return out
	}
	if dev {
		users := minikafka.DevUsers()
		for _, n := range []string{"alice", "admin", "bob"} {
			out = append(out, bannerUser{n, users[n], nil})
		}
	}
	return out
}

// bannerClients are the OAuth clients the banner may show: the demo users
// (the development default's clients) or the fixtures' clients.
func bannerClients(dev bool, fx *minikafka.Fixtures) []bannerUser {
	if fx != nil {
		var out []bannerUser
		for _, c := range fx.OAuthClients {
			out = append(out, bannerUser{name: c.ID, password: c.Secret})
		}
		return out
	}
	return bannerUsers(dev, nil)
}

func (u bannerUser) can(mech string) bool {
	return len(u.mechanisms) == 0 || slices.Contains(u.mechanisms, mech)
}

func printBanner(w io.Writer, b *minikafka.Broker, dev bool, users, clients []bannerUser) {
	info := b.Info()
	fmt.Fprintln(w, "minikafka is ready")
	for _, l := range b.Listeners() {
		mechs := ""
		if len(l.Mechanisms) > 0 {
			mechs = "  mechanisms " + strings.Join(l.Mechanisms, ",")
		}
		fmt.Fprintf(w, "  listener %-16s %-15s %s%s\n", l.Name, l.SecurityProtocol, l.Advertised, mechs)
	}
	if a := b.AdminAddr(); a != "" {
		fmt.Fprintf(w, "  admin    http://%s  (/metrics /healthz /readyz)\n", a)
	}
	if u := info.IssuerURL; strings.HasPrefix(u, "http") {
		fmt.Fprintf(w, "  oauth    %s%s  (development token issuer, client_credentials; JWKS %s/oauth/jwks)\n", u, minikafka.IssuerTokenPath, u)
	}
	if info.Authorization {
		supers := "none"
		if len(info.SuperUsers) > 0 {
			supers = strings.Join(info.SuperUsers, ",")
		}
		fmt.Fprintf(w, "  authorization on: %d ACLs, super users %s\n", info.ACLs, supers)
	} else {
		fmt.Fprintln(w, "  authorization off: every authenticated client may do anything")
	}
	if len(info.Topics) > 0 {
		fmt.Fprintf(w, "  topics   %s\n", strings.Join(info.Topics, " "))
	}
	if len(users) > 0 {
		names := make([]string, 0, len(users))
		for _, u := range users {
			names = append(names, u.name+"/"+u.password)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "\nusers: %s\n", strings.Join(names, " "))
	}
	if dev {
		fmt.Fprintln(w, "ACLs are on: admin is a super user; alice may produce and consume every topic; bob may only consume")
	}
	if len(info.IssuerClients) > 0 {
		fmt.Fprintf(w, "OAuth clients of the development issuer: %s\n", strings.Join(info.IssuerClients, " "))
	}
	for _, l := range b.Listeners() {
		printClientConfig(w, l, users)
		if slices.Contains(l.Mechanisms, "OAUTHBEARER") && info.IssuerURL != "" {
			printOAuthConfig(w, l, info, clients)
		}
	}
}

// printClientConfig prints ready-to-paste client settings for a listener
// (PLAIN or SCRAM), for the first user who may use its mechanism.
func printClientConfig(w io.Writer, l broker.Listener, users []bannerUser) {
	if len(l.Mechanisms) == 0 {
		if l.SecurityProtocol == "SSL" {
			fmt.Fprintf(w, "\n%s (SSL):\n  kcat -b %s -X security.protocol=SSL -X ssl.ca.location=<ca.pem> -L\n", l.Name, l.Advertised)
		} else {
			fmt.Fprintf(w, "\n%s (PLAINTEXT):\n  kcat -b %s -L\n  franz-go: kgo.NewClient(kgo.SeedBrokers(%q))\n", l.Name, l.Advertised, l.Advertised)
		}
		return
	}
	var mech string
	for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"} {
		if slices.Contains(l.Mechanisms, m) {
			mech = m
			break
		}
	}
	if mech == "" {
		return // OAUTHBEARER only: printOAuthConfig
	}
	user, pass := "<user>", "<password>"
	for _, u := range users {
		if u.can(mech) {
			user, pass = u.name, u.password
			break
		}
	}
	var franz, module string
	switch mech {
	case "PLAIN":
		franz = fmt.Sprintf("plain.Auth{User: %q, Pass: %q}.AsMechanism()", user, pass)
		module = "org.apache.kafka.common.security.plain.PlainLoginModule"
	default:
		franz = fmt.Sprintf("scram.Auth{User: %q, Pass: %q}.AsSha%sMechanism()", user, pass, strings.TrimPrefix(mech, "SCRAM-SHA-"))
		module = "org.apache.kafka.common.security.scram.ScramLoginModule"
	}
	tlsKcat, tlsFranz, tlsProps := "", "", ""
	if l.SecurityProtocol == "SASL_SSL" {
		tlsKcat = " -X ssl.ca.location=<ca.pem>"
		tlsFranz = ",\n      kgo.DialTLSConfig(&tls.Config{RootCAs: <pool with ca.pem>})"
		tlsProps = "    ssl.truststore.type=PEM\n    ssl.truststore.location=<ca.pem>\n"
	}
	fmt.Fprintf(w, "\n%s (%s, %s):\n", l.Name, l.SecurityProtocol, mech)
	fmt.Fprintf(w, "  kcat -b %s -X security.protocol=%s -X sasl.mechanisms=%s -X sasl.username=%s -X sasl.password=%s%s -L\n",
		l.Advertised, l.SecurityProtocol, mech, user, pass, tlsKcat)
	fmt.Fprintf(w, "  franz-go: kgo.NewClient(kgo.SeedBrokers(%q),\n      kgo.SASL(%s)%s)\n", l.Advertised, franz, tlsFranz)
	fmt.Fprintf(w, "  client.properties (Kafka tools and minikafka acl|user|topic --command-config):\n")
	fmt.Fprintf(w, "    security.protocol=%s\n    sasl.mechanism=%s\n    sasl.jaas.config=%s required username=%q password=%q;\n%s",
		l.SecurityProtocol, mech, module, user, pass, tlsProps)
}

// printOAuthConfig prints OAUTHBEARER settings against the development
// issuer's token endpoint.
func printOAuthConfig(w io.Writer, l broker.Listener, info minikafka.Info, clients []bannerUser) {
	id, secret := "<client id>", "<client secret>"
	if len(info.IssuerClients) > 0 {
		id = info.IssuerClients[0]
	}
	for _, u := range clients {
		if slices.Contains(info.IssuerClients, u.name) {
			id, secret = u.name, u.password
			break
		}
	}
	endpoint := info.IssuerURL + minikafka.IssuerTokenPath
	fmt.Fprintf(w, "\n%s (%s, OAUTHBEARER, tokens from %s):\n", l.Name, l.SecurityProtocol, endpoint)
	fmt.Fprintf(w, "  minikafka token --token-endpoint %s --client-id %s --client-secret %s\n", endpoint, id, secret)
	fmt.Fprintf(w, "  kcat (librdkafka built with OIDC support; Debian's kcat is not):\n")
	fmt.Fprintf(w, "  kcat -b %s -X security.protocol=%s -X sasl.mechanisms=OAUTHBEARER -X sasl.oauthbearer.method=oidc \\\n", l.Advertised, l.SecurityProtocol)
	fmt.Fprintf(w, "    -X sasl.oauthbearer.client.id=%s -X sasl.oauthbearer.client.secret=%s -X sasl.oauthbearer.token.endpoint.url=%s -L\n", id, secret, endpoint)
	fmt.Fprintf(w, "  franz-go: kgo.SASL(oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) { /* client_credentials at %s */ }))\n", endpoint)
	fmt.Fprintf(w, "  client.properties:\n    security.protocol=%s\n    sasl.mechanism=OAUTHBEARER\n", l.SecurityProtocol)
	fmt.Fprintf(w, "    sasl.oauthbearer.token.endpoint.url=%s\n", endpoint)
	fmt.Fprintf(w, "    sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n")
	fmt.Fprintf(w, "    sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=%q clientSecret=%q;\n", id, secret)
}

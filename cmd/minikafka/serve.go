package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
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
	printBanner(stdout, b, dev)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("shutting down", "signal", s.String())
	return b.Close()
}

func printBanner(w io.Writer, b *minikafka.Broker, dev bool) {
	fmt.Fprintln(w, "minikafka is ready")
	for _, l := range b.Listeners() {
		mechs := ""
		if len(l.Mechanisms) > 0 {
			mechs = " mechanisms=" + strings.Join(l.Mechanisms, ",")
		}
		fmt.Fprintf(w, "  listener %-16s %-15s %s%s\n", l.Name, l.SecurityProtocol, l.Advertised, mechs)
	}
	if a := b.AdminAddr(); a != "" {
		fmt.Fprintf(w, "  admin    http://%s  (/metrics /healthz /readyz)\n", a)
	}
	user, pass := "<user>", "<password>"
	if dev {
		users := minikafka.DevUsers()
		names := make([]string, 0, len(users))
		for n := range users {
			names = append(names, n+"/"+users[n])
		}
		sort.Strings(names)
		fmt.Fprintf(w, "\ndevelopment users (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512): %s\n", strings.Join(names, " "))
		fmt.Fprintln(w, "ACLs are on: admin is a super user; alice may produce and consume every topic; bob may only consume")
		user, pass = "alice", users["alice"]
	}
	for _, l := range b.Listeners() {
		printClientConfig(w, l, user, pass)
	}
}

// printClientConfig prints ready-to-paste client settings for a listener.
func printClientConfig(w io.Writer, l broker.Listener, user, pass string) {
	if len(l.Mechanisms) == 0 {
		if l.SecurityProtocol == "SSL" {
			fmt.Fprintf(w, "\n%s (SSL):\n  kcat -b %s -X security.protocol=SSL -X ssl.ca.location=<ca.pem> -L\n", l.Name, l.Advertised)
		}
		return
	}
	mech := l.Mechanisms[0]
	for _, m := range l.Mechanisms {
		if m == "SCRAM-SHA-256" {
			mech = m
		}
	}
	var franz, module string
	switch mech {
	case "PLAIN":
		franz = fmt.Sprintf("plain.Auth{User: %q, Pass: %q}.AsMechanism()", user, pass)
		module = "org.apache.kafka.common.security.plain.PlainLoginModule"
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		franz = fmt.Sprintf("scram.Auth{User: %q, Pass: %q}.AsSha%sMechanism()", user, pass, strings.TrimPrefix(mech, "SCRAM-SHA-"))
		module = "org.apache.kafka.common.security.scram.ScramLoginModule"
	default:
		return // OAUTHBEARER prints its own hints
	}
	tlsKcat, tlsFranz := "", ""
	if l.SecurityProtocol == "SASL_SSL" {
		tlsKcat = " -X ssl.ca.location=<ca.pem>"
		tlsFranz = ",\n      kgo.DialTLSConfig(&tls.Config{RootCAs: <pool with ca.pem>})"
	}
	fmt.Fprintf(w, "\n%s (%s, %s):\n", l.Name, l.SecurityProtocol, mech)
	fmt.Fprintf(w, "  kcat -b %s -X security.protocol=%s -X sasl.mechanisms=%s -X sasl.username=%s -X sasl.password=%s%s -L\n",
		l.Advertised, l.SecurityProtocol, mech, user, pass, tlsKcat)
	fmt.Fprintf(w, "  franz-go: kgo.NewClient(kgo.SeedBrokers(%q),\n      kgo.SASL(%s)%s)\n", l.Advertised, franz, tlsFranz)
	fmt.Fprintf(w, "  client.properties: security.protocol=%s\n    sasl.mechanism=%s\n    sasl.jaas.config=%s required username=%q password=%q;\n",
		l.SecurityProtocol, mech, module, user, pass)
}

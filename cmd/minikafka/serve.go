package main

import (
	"fmt"
	"io"
		"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/minikafka/minikafka"
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
	if f.config == "" && len(f.overrides) == 0 {
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
	printBanner(stdout, b)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("shutting down", "signal", s.String())
	return b.Close()
}

func printBanner(w io.Writer, b *minikafka.Broker) {
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
}

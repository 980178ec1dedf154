package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestLogLevelPerLogger(t *testing.T) {
	var buf bytes.Buffer
	l, err := newLogger(&buf, "warn,kafka.authorizer.logger=debug", "json")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("broker info dropped")
	l.Warn("broker warn kept")
	audit := l.With("logger", "kafka.authorizer.logger")
	audit.Debug("audit debug kept")
	audit.Log(context.Background(), -8, "audit trace dropped")
	out := buf.String()
	for _, want := range []string{"broker warn kept", "audit debug kept"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %s", want, out)
		}
	}
	for _, unwanted := range []string{"broker info dropped", "audit trace dropped"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("unexpected %q in %s", unwanted, out)
		}
	}
	if _, err := newLogger(&buf, "loud", "text"); err == nil {
		t.Error("bad level accepted")
	}
	if _, err := newLogger(&buf, "info", "xml"); err == nil {
		t.Error("bad format accepted")
	}
}

package principal

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsLint gives every group metric a value and lints them with
// client_golang's promlint.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.resolution("SASL", nil)
	m.resolution("SASL", errors.New("directory down"))
	m.groupFailure("SASL", Lenient)
	c := m.forCache("ldap")
	c.hit.Inc()
	c.observe(time.Millisecond, nil)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 4 {
		t.Errorf("%d families gathered, want the 4 group metrics", len(mfs))
	}
	if got := testutil.ToFloat64(m.resolutions.WithLabelValues("SASL", "error")); got != 1 {
		t.Errorf("resolutions{error} = %v", got)
	}
}

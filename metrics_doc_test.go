package minikafka

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// descRecorder registers through to a registry and remembers the name and
// variable labels of every metric registered.
type descRecorder struct {
	next     prometheus.Registerer
	families map[string]string // name -> sorted labels, comma-separated
}

func (r *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 32)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		name, labels := parseDesc(d.String())
		r.families[name] = labels
	}
	return r.next.Register(c)
}

func (r *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r *descRecorder) Unregister(c prometheus.Collector) bool { return r.next.Unregister(c) }

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
)

// parseDesc reads Desc.String(): the only way client_golang shows a
// Desc's name and labels.
func parseDesc(s string) (string, string) {
	name := descName.FindStringSubmatch(s)[1]
	var labels []string
	if m := descLabels.FindStringSubmatch(s); m != nil && m[1] != "" {
		for _, l := range strings.Split(m[1], ",") {
			labels = append(labels, strings.TrimSpace(l))
		}
	}
	sort.Strings(labels)
	return name, strings.Join(labels, ",")
}

var docMetric = regexp.MustCompile(`^//\t(minikafka_[a-z_]+)(?:\{([a-z_,]*)\})?\s+(counter|gauge|histogram)$`)

// documentedMetrics reads the metric list of the package doc (doc.go).
func documentedMetrics(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(src), "\n") {
		m := docMetric.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("doc.go lists %s twice", m[1])
		}
		labels := strings.Split(m[2], ",")
		if m[2] == "" {
			labels = nil
		}
		sort.Strings(labels)
		out[m[1]] = strings.Join(labels, ",")
	}
	return out
}

// TestMetricsDocumented checks that the package doc lists exactly the
// metrics a fully wired broker registers (authorization, group resolvers,
// OAUTHBEARER), with the same labels.
func TestMetricsDocumented(t *testing.T) {
	rec := &descRecorder{families: map[string]string{}}
	b, err := newBroker(Config{
		Listeners:  []Listener{{Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"PLAIN", "OAUTHBEARER"}}},
		OAuth:      OAuthConfig{Issuer: OAuthIssuerConfig{Enable: true, Key: testIssuerKey(t)}},
		Authorizer: AuthorizerConfig{Enabled: true},
		SASL:       SASLConfig{PlainUsers: map[string]string{"alice": "alice-secret"}},
		Principals: PrincipalConfig{Groups: GroupsConfig{Resolvers: []string{ResolverJWT}}},
	}, func(r prometheus.Registerer) prometheus.Registerer { rec.next = r; return rec })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	doc := documentedMetrics(t)
	if len(doc) < 20 {
		t.Fatalf("only %d metrics found in doc.go: has its format changed?", len(doc))
	}
	for name, labels := range rec.families {
		dl, ok := doc[name]
		switch {
		case !ok:
			t.Errorf("%s{%s} is registered but not listed in doc.go", name, labels)
		case dl != labels:
			t.Errorf("%s: doc.go lists labels {%s}, registered {%s}", name, dl, labels)
		}
	}
	for name := range doc {
		if _, ok := rec.families[name]; !ok {
			t.Errorf("doc.go lists %s, which no broker registers", name)
		}
	}
}

// lintRegistry fails t on every promlint problem of what b's registry
// gathers.
func lintRegistry(t *testing.T, b *Broker) {
	t.Helper()
	problems, err := testutil.GatherAndLint(b.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

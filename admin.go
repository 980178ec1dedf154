package minikafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// adminServer is the admin HTTP listener: /metrics, /healthz, /readyz.
type adminServer struct {
	srv  *http.Server
	addr string
	mux  *http.ServeMux
}

// adminRoutes add handlers to the admin listener (files of this package
// append to it in init); addr is the bound address.
var adminRoutes []func(mb *Broker, mux *http.ServeMux, addr string)

func startAdmin(mb *Broker, addr string) (*adminServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", mb.MetricsHandler())
	mux.Handle("/healthz", mb.HealthHandler())
	mux.Handle("/readyz", mb.ReadyHandler())
	for _, route := range adminRoutes {
		route(mb, mux, ln.Addr().String())
	}
	a := &adminServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr().String(), mux: mux}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *adminServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}

// ReadyCheck is one condition of readiness.
type ReadyCheck struct {
	Name   string // listeners, acls, jwks <url>
	OK     bool
	Detail string // what was seen, or why it is not ready
}

// ReadyChecks evaluates readiness: the listeners are bound and serving,
// the ACLs are loaded (when authorization is on), and every configured
// JWKS holds at least one usable key. /readyz serves them.
func (mb *Broker) ReadyChecks() []ReadyCheck {
	mb.mu.Lock()
	started, closed := mb.started, mb.closed
	mb.mu.Unlock()
	var checks []ReadyCheck
	switch {
	case closed:
		checks = append(checks, ReadyCheck{Name: "listeners", Detail: "the broker is shutting down"})
	case !started:
		checks = append(checks, ReadyCheck{Name: "listeners", Detail: "not started"})
	default:
		ls := mb.b.Listeners()
		var names []string
		for _, l := range ls {
			names = append(names, l.Name+"="+l.Addr)
		}
		ok := len(ls) == len(mb.cfg.Listeners)
		checks = append(checks, ReadyCheck{Name: "listeners", OK: ok, Detail: fmt.Sprintf("%d of %d bound: %s", len(ls), len(mb.cfg.Listeners), strings.Join(names, " "))})
	}
	if mb.acls != nil {
		c := ReadyCheck{Name: "acls", OK: true, Detail: "loaded"}
		if r, ok := mb.acls.(interface{ Ready() bool }); ok && !r.Ready() {
			c.OK, c.Detail = false, "not loaded"
		} else if n, ok := aclCount(mb); ok {
			c.Detail = fmt.Sprintf("%d loaded", n)
		}
		checks = append(checks, c)
	}
	for _, j := range mb.jwksCaches() {
		c := ReadyCheck{Name: "jwks " + redactURL(j.Describe()), OK: true}
		if n := j.Keys().Len(); n == 0 {
			c.OK = false
			c.Detail = fmt.Sprintf("no usable key (%d fetches, %d failed)", j.Fetches(), j.FetchFailures())
		} else {
			c.Detail = fmt.Sprintf("%d keys", n)
		}
		checks = append(checks, c)
	}
	return checks
}

// Ready returns nil when the broker is ready (see ReadyChecks), else an
// error naming every check that fails.
func (mb *Broker) Ready() error {
	var failed []string
	for _, c := range mb.ReadyChecks() {
		if !c.OK {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	if len(failed) > 0 {
		return errors.New("not ready: " + strings.Join(failed, "; "))
	}
	return nil
}

// ReadyHandler serves readiness: 200 with one "ok" line per check when
// ready, 503 with the failing checks marked "FAIL" otherwise.
func (mb *Broker) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		checks := mb.ReadyChecks()
		var sb strings.Builder
		status := http.StatusOK
		for _, c := range checks {
			mark := "ok"
			if !c.OK {
				mark, status = "FAIL", http.StatusServiceUnavailable
			}
			fmt.Fprintf(&sb, "%s %s: %s\n", mark, c.Name, c.Detail)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(sb.String()))
	})
}

// HealthHandler serves liveness: 200 while the broker runs, 503 once it
// is shutting down.
func (mb *Broker) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mb.mu.Lock()
		closed := mb.closed
		mb.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if closed {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("shutting down\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

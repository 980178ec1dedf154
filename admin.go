package minikafka

import (
	"context"
	"net"
	"net/http"
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
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) })
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

package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Timeouts of the metrics server: a scraper or a probe that stalls holds a
// connection only this long.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	// WriteTimeout leaves a scrape of a large registry (1,000 failbacks)
	// time to be written.
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 60 * time.Second
	// maxScrapesInFlight bounds concurrent /metrics requests; more get 503.
	maxScrapesInFlight = 4
)

// Readiness says whether the process is ready: nil when it is, else an
// error that says what is not (errors.Join for several things). It is
// called on every /readyz request and must be quick and safe for
// concurrent use.
type Readiness func() error

// errNoReadiness is what /readyz says before the caller sets a Readiness.
var errNoReadiness = errors.New("starting: no readiness check set yet")

// Server serves /metrics (the Metrics' registry), /healthz (200 while the
// process lives) and /readyz (200 when the Readiness says so, else 503
// with what is not ready).
type Server struct {
	m   *Metrics
	log *slog.Logger

	mu    sync.Mutex
	ready Readiness
	srv   *http.Server
	addr  net.Addr
	done  chan struct{} // closed when Serve returns
	err   error         // Serve's error, other than http.ErrServerClosed
}

// NewServer returns a server of m; log gets the errors of the HTTP server
// and of encoding metrics (nil discards them).
func NewServer(m *Metrics, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{m: m, log: log}
}

// SetReadiness sets what /readyz asks; until it is set, /readyz says
// not ready.
func (s *Server) SetReadiness(f Readiness) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = f
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	reg := s.m.Registry()
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapesInFlight,
		Timeout:             WriteTimeout - time.Second,
		EnableOpenMetrics:   true,
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		f := s.ready
		s.mu.Unlock()
		err := errNoReadiness
		if f != nil {
			err = f()
		}
		if err != nil {
			plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
			return
		}
		plain(w, http.StatusOK, "ready\n")
	})
	return mux
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// Start listens on addr ("127.0.0.1:9787"; port 0 for a free one) and
// serves in the background until Shutdown.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return s.StartListener(ln)
}

// StartListener serves on ln in the background until Shutdown; the server
// owns ln from then on. A server starts once.
func (s *Server) StartListener(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		ln.Close()
		return errors.New("metrics server: already started")
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.addr = ln.Addr()
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", "err", err)
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
		}
	}()
	return nil
}

// Addr returns the address the server listens on (nil before Start): the
// port chosen for ":0".
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting connections and waits, until ctx is done, for
// the requests in flight; then it closes what is left. It returns the
// error that stopped the server, if any, or ctx's. A server never started
// shuts down at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		// Past the deadline: drop the connections still open.
		_ = srv.Close()
	}
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.err, err)
}

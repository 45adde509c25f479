package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus series. Each Server has its own registry, so tests can run
// several servers in one process.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	approvals *prometheus.CounterVec
	declines  *prometheus.CounterVec
	batchSize prometheus.Histogram
}

// NewMetrics registers the server's series and the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "settlementd_http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "settlementd_http_request_duration_seconds",
			Help:    "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		approvals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "settlementd_approvals_total",
			Help: "Approved payments by kind (online, offline).",
		}, []string{"kind"}),
		declines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "settlementd_declines_total",
			Help: "Declined payments by reason code.",
		}, []string{"reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "settlementd_batch_items",
			Help:    "Items per terminal batch request.",
			Buckets: []float64{1, 5, 10, 50, 100, 250, 500, 1000},
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.approvals, m.declines, m.batchSize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewBuildInfoCollector())
	return m
}

// SetBuildInfo exports settlementd_build_info{version,commit} 1, the series dashboards join on.
func (m *Metrics) SetBuildInfo(version, commit string) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "settlementd_build_info",
		Help:        "The running settlementd's version and commit; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit},
	})
	g.Set(1)
	m.registry.MustRegister(g)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// instrument counts and times every request under route, a fixed label (never the raw path, which
// a client controls).
func (m *Metrics) instrument(route string, next http.Handler) http.Handler {
	lat := m.latency.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		lat.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	})
}

// outcome counts one payment result.
func (m *Metrics) outcome(approved bool, kind string, reason string) {
	if approved {
		m.approvals.WithLabelValues(kind).Inc()
		return
	}
	m.declines.WithLabelValues(reason).Inc()
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

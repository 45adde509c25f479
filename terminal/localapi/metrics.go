package localapi

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Printer states of posagent_printer_ready's label: a bounded set (the status text is prose).
const (
	printerReady       = "ready"
	printerPaperOut    = "paper_out"
	printerCoverOpen   = "cover_open"
	printerOffline     = "offline"
	printerError       = "error"
	printerUnknown     = "unknown"
	printerUnavailable = "unavailable"
)

// printerState maps the printer's status text to one of the printer* states.
func printerState(status string) string {
	s := strings.ToLower(status)
	switch {
	case s == "ready" || s == "printed" || s == "online":
		return printerReady
	case s == "" || strings.HasPrefix(s, "unknown"):
		return printerUnknown
	case s == "unavailable":
		return printerUnavailable
	case strings.Contains(s, "paper out") || strings.Contains(s, "paper_out") || strings.Contains(s, "paper-out"):
		return printerPaperOut
	case strings.Contains(s, "cover open") || strings.Contains(s, "cover_open"):
		return printerCoverOpen
	case strings.HasPrefix(s, "offline"):
		return printerOffline
	}
	return printerError
}

var (
	descQueueDepth    = prometheus.NewDesc("posagent_queue_depth", "Requests waiting to be forwarded.", nil, nil)
	descQueueAge      = prometheus.NewDesc("posagent_queue_oldest_age_seconds", "Age of the oldest request waiting to be forwarded.", nil, nil)
	descOfflineCount  = prometheus.NewDesc("posagent_offline_pending_count", "Offline approvals not yet forwarded.", nil, nil)
	descOfflineMinor  = prometheus.NewDesc("posagent_offline_pending_minor", "Total of offline approvals not yet forwarded, in minor units.", nil, nil)
	descForwardErrors = prometheus.NewDesc("posagent_forward_errors_total", "Failed forwarding attempts and refused items.", nil, nil)
	descForwarded     = prometheus.NewDesc("posagent_forwarded_total", "Items the server answered.", nil, nil)
	descSales         = prometheus.NewDesc("posagent_sales_total", "Sales by outcome.", []string{"outcome"}, nil)
	descOrders        = prometheus.NewDesc("posagent_orders_total", "Merchant-presented orders by reported outcome.", []string{"outcome"}, nil)
	descStorageErrors = prometheus.NewDesc("posagent_storage_errors_total", "Queue writes that failed.", nil, nil)
	descScansIgnored  = prometheus.NewDesc("posagent_scans_ignored_total", "Scanned frames that were not payment codes.", nil, nil)
	descSaleLatency   = prometheus.NewDesc("posagent_sale_latency_seconds", "From the scan to the receipt sent, approved sales.", nil, nil)
	descPrinterReady  = prometheus.NewDesc("posagent_printer_ready",
		"Whether the printer is ready (1) or not (0); the state label says why: ready, paper_out, cover_open, offline, error, unknown, unavailable.", []string{"state"}, nil)
)

// metricsCollector reads the agent's state at each scrape (through client_golang, like settlementd).
type metricsCollector struct {
	s   *Server
	req *http.Request
}

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueDepth, descQueueAge, descOfflineCount, descOfflineMinor, descForwardErrors, descForwarded,
		descSales, descOrders, descStorageErrors, descScansIgnored, descSaleLatency, descPrinterReady} {
		ch <- d
	}
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.s.currentStatus(c.req.Context())
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descQueueDepth, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descQueueDepth, float64(st.QueueDepth))
	age := 0.0
	if !st.OldestQueued.IsZero() {
		age = c.s.d.Clock.Now().Sub(st.OldestQueued).Seconds()
	}
	gauge(descQueueAge, age)
	gauge(descOfflineCount, float64(st.Offline.Count))
	gauge(descOfflineMinor, float64(st.Offline.Total))
	counter(descForwardErrors, float64(st.Forwarder.Errors))
	counter(descForwarded, float64(st.Forwarder.Forwarded))

	stats := c.s.d.Agent.Stats()
	labels, vals := stats.Sales.Snapshot()
	for i, l := range labels {
		counter(descSales, float64(vals[i]), l)
	}
	labels, vals = stats.Orders.Snapshot()
	for i, l := range labels {
		counter(descOrders, float64(vals[i]), l)
	}
	counter(descStorageErrors, float64(stats.StorageErrors.Load()))
	counter(descScansIgnored, float64(stats.ScansIgnored.Load()))
	counts, sum, n := stats.SaleLatency.Snapshot()
	buckets := make(map[float64]uint64, len(counts))
	for i, bound := range stats.SaleLatency.Bounds {
		buckets[bound] = uint64(counts[i])
	}
	ch <- prometheus.MustNewConstHistogram(descSaleLatency, uint64(n), sum, buckets)

	state := printerState(st.Printer)
	ready := 0.0
	if state == printerReady {
		ready = 1
	}
	gauge(descPrinterReady, ready, state)
}

// metrics serves the Prometheus text format through client_golang.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(metricsCollector{s: s, req: r}); err != nil {
		writeError(w, err)
		return
	}
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(w, r)
}

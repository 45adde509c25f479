package localapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// metrics writes the Prometheus text format (0.0.4) by hand. client_golang would be the usual choice
// (settlementd uses it), but in posagent it costs 4.9 MB (protobuf and its friends: 11.2 → 16.1 MB,
// over the 12 MB release budget in terminal/bundle that field agents enforce on updates), for a dozen
// series. The label values are bounded (printer state is one of the printer* states above) and a
// golden test pins the output.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st, err := s.currentStatus(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	var b strings.Builder
	family := func(name, kind, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
	}
	value := func(name string, v float64) {
		fmt.Fprintf(&b, "%s %s\n", name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	one := func(name, kind, help string, v float64) {
		family(name, kind, help)
		value(name, v)
	}
	byOutcome := func(name, help string, labels []string, vals []int64) {
		if len(labels) == 0 {
			return // no series yet: no family (as client_golang writes it)
		}
		family(name, "counter", help)
		for i, l := range labels {
			value(name+"{outcome="+strconv.Quote(l)+"}", float64(vals[i]))
		}
	}

	stats := s.d.Agent.Stats()
	one("posagent_forward_errors_total", "counter", "Failed forwarding attempts and refused items.", float64(st.Forwarder.Errors))
	one("posagent_forwarded_total", "counter", "Items the server answered.", float64(st.Forwarder.Forwarded))
	one("posagent_offline_pending_count", "gauge", "Offline approvals not yet forwarded.", float64(st.Offline.Count))
	one("posagent_offline_pending_minor", "gauge", "Total of offline approvals not yet forwarded, in minor units.", float64(st.Offline.Total))
	labels, vals := stats.Orders.Snapshot()
	byOutcome("posagent_orders_total", "Merchant-presented orders by reported outcome.", labels, vals)

	state := printerState(st.Printer)
	ready := 0.0
	if state == printerReady {
		ready = 1
	}
	family("posagent_printer_ready", "gauge", "Whether the printer is ready (1) or not (0); the state label says why: ready, paper_out, cover_open, offline, error, unknown, unavailable.")
	value("posagent_printer_ready{state="+strconv.Quote(state)+"}", ready)

	one("posagent_queue_depth", "gauge", "Requests waiting to be forwarded.", float64(st.QueueDepth))
	age := 0.0
	if !st.OldestQueued.IsZero() {
		age = s.d.Clock.Now().Sub(st.OldestQueued).Seconds()
	}
	one("posagent_queue_oldest_age_seconds", "gauge", "Age of the oldest request waiting to be forwarded.", age)

	counts, sum, n := stats.SaleLatency.Snapshot()
	family("posagent_sale_latency_seconds", "histogram", "From the scan to the receipt sent, approved sales.")
	for i, bound := range stats.SaleLatency.Bounds {
		value("posagent_sale_latency_seconds_bucket{le="+strconv.Quote(strconv.FormatFloat(bound, 'g', -1, 64))+"}", float64(counts[i]))
	}
	value(`posagent_sale_latency_seconds_bucket{le="+Inf"}`, float64(n))
	value("posagent_sale_latency_seconds_sum", sum)
	value("posagent_sale_latency_seconds_count", float64(n))

	labels, vals = stats.Sales.Snapshot()
	byOutcome("posagent_sales_total", "Sales by outcome.", labels, vals)
	one("posagent_scans_ignored_total", "counter", "Scanned frames that were not payment codes.", float64(stats.ScansIgnored.Load()))
	one("posagent_storage_errors_total", "counter", "Queue writes that failed.", float64(stats.StorageErrors.Load()))

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write([]byte(b.String()))
}

package localapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// metrics writes the Prometheus text format by hand: six series do not need a client library in a
// binary that must stay small for the POS box.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st, err := s.currentStatus(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	var b strings.Builder
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, strconv.FormatFloat(v, 'g', -1, 64))
	}
	gauge("posagent_queue_depth", "Requests waiting to be forwarded.", float64(st.QueueDepth))
	age := 0.0
	if !st.OldestQueued.IsZero() {
		age = s.d.Clock.Now().Sub(st.OldestQueued).Seconds()
	}
	gauge("posagent_queue_oldest_age_seconds", "Age of the oldest request waiting to be forwarded.", age)
	gauge("posagent_offline_pending_count", "Offline approvals not yet forwarded.", float64(st.Offline.Count))
	gauge("posagent_offline_pending_minor", "Total of offline approvals not yet forwarded, in minor units.", float64(st.Offline.Total))
	fmt.Fprintf(&b, "# HELP posagent_forward_errors_total Failed forwarding attempts and refused items.\n# TYPE posagent_forward_errors_total counter\nposagent_forward_errors_total %d\n", st.Forwarder.Errors)
	fmt.Fprintf(&b, "# HELP posagent_forwarded_total Items the server answered.\n# TYPE posagent_forwarded_total counter\nposagent_forwarded_total %d\n", st.Forwarder.Forwarded)

	stats := s.d.Agent.Stats()
	labels, vals := stats.Sales.Snapshot()
	fmt.Fprintf(&b, "# HELP posagent_sales_total Sales by outcome.\n# TYPE posagent_sales_total counter\n")
	for i, l := range labels {
		fmt.Fprintf(&b, "posagent_sales_total{outcome=%q} %d\n", l, vals[i])
	}
	labels, vals = stats.Orders.Snapshot()
	fmt.Fprintf(&b, "# HELP posagent_orders_total Merchant-presented orders by reported outcome.\n# TYPE posagent_orders_total counter\n")
	for i, l := range labels {
		fmt.Fprintf(&b, "posagent_orders_total{outcome=%q} %d\n", l, vals[i])
	}
	fmt.Fprintf(&b, "# HELP posagent_storage_errors_total Queue writes that failed.\n# TYPE posagent_storage_errors_total counter\nposagent_storage_errors_total %d\n", stats.StorageErrors.Load())
	fmt.Fprintf(&b, "# HELP posagent_scans_ignored_total Scanned frames that were not payment codes.\n# TYPE posagent_scans_ignored_total counter\nposagent_scans_ignored_total %d\n", stats.ScansIgnored.Load())

	counts, sum, n := stats.SaleLatency.Snapshot()
	fmt.Fprintf(&b, "# HELP posagent_sale_latency_seconds From the scan to the receipt sent, approved sales.\n# TYPE posagent_sale_latency_seconds histogram\n")
	for i, bound := range stats.SaleLatency.Bounds {
		fmt.Fprintf(&b, "posagent_sale_latency_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(bound, 'g', -1, 64), counts[i])
	}
	fmt.Fprintf(&b, "posagent_sale_latency_seconds_bucket{le=\"+Inf\"} %d\nposagent_sale_latency_seconds_sum %g\nposagent_sale_latency_seconds_count %d\n", n, sum, n)

	ok := 0.0
	if st.Printer == "ready" || st.Printer == "printed" {
		ok = 1
	}
	fmt.Fprintf(&b, "# HELP posagent_printer_ready Whether the printer is ready (1) or not (0); the status label says why.\n# TYPE posagent_printer_ready gauge\nposagent_printer_ready{status=%q} %g\n", st.Printer, ok)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.Write([]byte(b.String()))
}

package agent

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the agent's counters, exported on /metrics by the local API.
type Stats struct {
	Sales         Counters
	Orders        Counters  // orders by reported outcome: paid, expired, cancelled, declined
	SaleLatency   Histogram // from the scan's last byte to the receipt sent (approved sales)
	StorageErrors atomic.Int64
	// ScansIgnored counts scanned frames that were not payment codes (noise, product barcodes).
	ScansIgnored atomic.Int64

	mu      sync.Mutex
	printer string
}

func newStats() *Stats {
	return &Stats{SaleLatency: Histogram{Bounds: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}}}
}

func (s *Stats) setPrinter(status string) {
	s.mu.Lock()
	s.printer = status
	s.mu.Unlock()
}

// PrinterStatus is the outcome of the last print.
func (s *Stats) PrinterStatus() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.printer
}

// Counters counts by label.
type Counters struct {
	mu sync.Mutex
	m  map[string]int64
}

// Add adds one to label.
func (c *Counters) Add(label string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[label]++
}

// Snapshot returns the labels in order and their counts.
func (c *Counters) Snapshot() ([]string, []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	labels := make([]string, 0, len(c.m))
	for k := range c.m {
		labels = append(labels, k)
	}
	sort.Strings(labels)
	vals := make([]int64, len(labels))
	for i, k := range labels {
		vals[i] = c.m[k]
	}
	return labels, vals
}

// Histogram is a Prometheus-style cumulative histogram in seconds.
type Histogram struct {
	Bounds []float64
	mu     sync.Mutex
	counts []int64
	sum    float64
	n      int64
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = make([]int64, len(h.Bounds))
	}
	s := d.Seconds()
	for i, b := range h.Bounds {
		if s <= b {
			h.counts[i]++
		}
	}
	h.sum += s
	h.n++
}

// Snapshot returns cumulative counts per bound, the sum and the count.
func (h *Histogram) Snapshot() (counts []int64, sum float64, n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	counts = make([]int64, len(h.Bounds))
	copy(counts, h.counts)
	return counts, h.sum, h.n
}

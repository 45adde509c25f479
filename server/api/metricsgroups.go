package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stillpay/stillpay/shared/protocol"
)

// pairCollector exports two counters read by one call of src at scrape time. One call per scrape,
// not one per series, keeps the pair consistent (the writes are never read later than the commits
// they belong to), and the counts stay where they are kept (the store's writer, the service).
type pairCollector struct {
	src  func() (uint64, uint64)
	a, b *prometheus.Desc
}

func newPairCollector(src func() (uint64, uint64), aName, aHelp, bName, bHelp string) *pairCollector {
	return &pairCollector{src: src,
		a: prometheus.NewDesc(aName, aHelp, nil, nil),
		b: prometheus.NewDesc(bName, bHelp, nil, nil)}
}

func (c *pairCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.a; ch <- c.b }

func (c *pairCollector) Collect(ch chan<- prometheus.Metric) {
	a, b := c.src()
	ch <- prometheus.MustNewConstMetric(c.a, prometheus.CounterValue, float64(a))
	ch <- prometheus.MustNewConstMetric(c.b, prometheus.CounterValue, float64(b))
}

// exportGroups registers the group series: the store's (when commits is not nil; a store without
// group commit exports none) and the approval groups' (when groups is not nil).
func (m *Metrics) exportGroups(commits, groups func() (uint64, uint64)) {
	if commits != nil {
		m.registry.MustRegister(newPairCollector(commits,
			protocol.MetricStoreCommits, "Store group commits: transactions committed (each one fsync on the embedded store).",
			protocol.MetricStoreCommitWrites, "Write requests in the store's group commits; divided by "+protocol.MetricStoreCommits+": writes per commit."))
	}
	if groups != nil {
		m.registry.MustRegister(newPairCollector(groups,
			protocol.MetricApprovalGroups, "Ed25519 group signatures made over the approvals of concurrent single requests.",
			protocol.MetricApprovalGroupApprovals, "Approvals proved by those group signatures; divided by "+protocol.MetricApprovalGroups+": approvals per signature."))
	}
}

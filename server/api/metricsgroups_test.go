package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store/storeopen"
	"github.com/stillpay/stillpay/shared/protocol"
)

// groupSeries are the four group counters, in the pairs their sources give them.
var groupSeries = []string{protocol.MetricStoreCommits, protocol.MetricStoreCommitWrites, protocol.MetricApprovalGroups, protocol.MetricApprovalGroupApprovals}

// scrapeMetrics GETs url and returns the body of its 200 answer.
func scrapeMetrics(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v", url, resp.StatusCode, err)
	}
	return body
}

// payGrouped makes n approved single payments of 1.00 from a terminal that announces group proofs.
func (s *stack) payGrouped(sh *shop, n int) {
	s.t.Helper()
	sh.term.GroupProofs = true
	for i := range n {
		code, err := sh.wallet.Code(s.clock.Now())
		if err != nil {
			s.t.Fatal(err)
		}
		ans, err := sh.term.Post(context.Background(), protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: fmt.Sprintf("m%d", i), Amount: eur(100), Payload: code})
		if err != nil || ans.Status != http.StatusOK {
			s.t.Fatalf("payment %d: %v %d %s", i, err, ans.Status, ans.Body)
		}
	}
}

// TestGroupCountersOnMetrics: after payments through a real server, /metrics shows the store's group
// commits and the approval groups as counters equal to what the store and the service count, and the
// bench's reader (what `settlementd bench --server-process` fills its columns from) reads the same.
func TestGroupCountersOnMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		const payments = 4
		s.payGrouped(s.newShop(), payments)
		commits := storeopen.CommitStats(s.store)
		if commits == nil {
			t.Fatalf("no commit stats for %T", s.store)
		}
		// Read the sources around the scrape: nothing else writes now, but if the store did, the
		// scraped values still lie between the two readings.
		c0, w0 := commits()
		g0, a0 := s.svc.GroupStats()
		body := scrapeMetrics(t, s.srv.URL+protocol.PathMetrics)
		c1, w1 := commits()
		g1, a1 := s.svc.GroupStats()

		for _, name := range groupSeries {
			if !strings.Contains(string(body), "# TYPE "+name+" counter\n") {
				t.Errorf("%s is not exported as a counter", name)
			}
		}
		got, err := bench.ParseCounters(body, groupSeries...)
		if err != nil {
			t.Fatal(err)
		}
		c, w := got[protocol.MetricStoreCommits], got[protocol.MetricStoreCommitWrites]
		g, a := got[protocol.MetricApprovalGroups], got[protocol.MetricApprovalGroupApprovals]
		if c < 1 || w < c || c < c0 || c > c1 || w < w0 || w > w1 {
			t.Errorf("store: %d commits of %d writes on /metrics; the store counts %d/%d before, %d/%d after", c, w, c0, w0, c1, w1)
		}
		// Serial payments: each approval is its group's only one.
		if g != g0 || a != a0 || g0 != g1 || a0 != a1 || a != payments || g < 1 || g > a {
			t.Errorf("approval groups: %d signatures for %d approvals on /metrics; the service counts %d for %d (want %d approvals)", g, a, g0, a0, payments)
		}

		src := bench.MetricsSource{URL: s.srv.URL + protocol.PathMetrics}
		if sc, sw, err := src.Commits(); err != nil || sc < c || sw < w {
			t.Errorf("bench reader: %d commits of %d writes, %v; /metrics said %d of %d", sc, sw, err, c, w)
		}
		if sg, sa, err := src.ApprovalGroups(); err != nil || sg != g || sa != a {
			t.Errorf("bench reader: %d groups of %d approvals, %v; /metrics said %d of %d", sg, sa, err, g, a)
		}
	})
}

// TestGroupCountersWithoutStoreStats: a store without group commit exports no store series (not
// zeros, which would read as "no commits"), the approval groups still; the bench's reader says
// which series is missing, and a /metrics moved elsewhere (404) reads as missing too.
func TestGroupCountersWithoutStoreStats(t *testing.T) {
	s := newStackWith(t, storeBolt, func(_ *service.Config, c *Config) { c.StoreCommits = nil })
	s.payGrouped(s.newShop(), 1)
	body := scrapeMetrics(t, s.srv.URL+protocol.PathMetrics)
	if strings.Contains(string(body), "settlementd_store_commit") {
		t.Errorf("store series without a source:\n%s", body)
	}
	if got, err := bench.ParseCounters(body, protocol.MetricApprovalGroups, protocol.MetricApprovalGroupApprovals); err != nil || got[protocol.MetricApprovalGroupApprovals] != 1 {
		t.Errorf("approval groups: %v, %v", got, err)
	}
	src := bench.MetricsSource{URL: s.srv.URL + protocol.PathMetrics}
	if _, _, err := src.Commits(); !errors.Is(err, bench.ErrSeriesMissing) || !strings.Contains(err.Error(), protocol.MetricStoreCommits) {
		t.Errorf("bench reader without store series: %v, want ErrSeriesMissing naming %s", err, protocol.MetricStoreCommits)
	}

	elsewhere := newStackWith(t, storeBolt, func(_ *service.Config, c *Config) { c.MetricsElsewhere = true })
	src = bench.MetricsSource{URL: elsewhere.srv.URL + protocol.PathMetrics}
	if _, _, err := src.ApprovalGroups(); !errors.Is(err, bench.ErrSeriesMissing) {
		t.Errorf("bench reader on an address without /metrics: %v, want ErrSeriesMissing", err)
	}
	ms := httptest.NewServer(elsewhere.h.MetricsHandler())
	defer ms.Close()
	if _, _, err := (bench.MetricsSource{URL: ms.URL + protocol.PathMetrics}).Commits(); err != nil {
		t.Errorf("bench reader on the metrics address: %v", err)
	}
}

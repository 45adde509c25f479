package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// maxMetricsBytes bounds a /metrics answer read: a few tens of KB in practice.
const maxMetricsBytes = 8 << 20

// ErrCountersBackwards: a counter read after a phase is below its value before it (the server
// restarted, or another one answered), so the phase's ratio cannot be told.
var ErrCountersBackwards = errors.New("bench: group counters went backwards")

// MetricsSource reads the group counters from a server's /metrics (no token: the API address serves
// it openly unless serve --metrics-listen moved it elsewhere, then ErrSeriesMissing's 404 says so).
// It is how a bench of a server in another process (--server-process, --server) fills
// Config.Commits and Config.ApprovalGroups.
type MetricsSource struct {
	URL    string // the /metrics URL
	Client *http.Client
}

// Commits reads the store's group commits and the write requests in them.
func (m MetricsSource) Commits() (commits, writes uint64, err error) {
	return m.pair(protocol.MetricStoreCommits, protocol.MetricStoreCommitWrites)
}

// ApprovalGroups reads the group signatures made and the approvals they proved.
func (m MetricsSource) ApprovalGroups() (groups, approvals uint64, err error) {
	return m.pair(protocol.MetricApprovalGroups, protocol.MetricApprovalGroupApprovals)
}

func (m MetricsSource) pair(a, b string) (uint64, uint64, error) {
	// Read between phases, never inside one; a server that does not answer in this long is not
	// worth waiting for over a column.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return 0, 0, err
	}
	client := m.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("bench: read %s: %w", m.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("%w: GET %s: HTTP %d", ErrSeriesMissing, m.URL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetricsBytes))
	if err != nil {
		return 0, 0, fmt.Errorf("bench: read %s: %w", m.URL, err)
	}
	v, err := ParseCounters(body, a, b)
	if err != nil {
		return 0, 0, err
	}
	return v[a], v[b], nil
}

// groupCounts reads a pair of group counters before and after each phase. A read that fails leaves
// the phase's column empty and is said once per column on the progress output: the columns explain
// the figures, they are not the figures, so they never fail a run.
type groupCounts struct {
	column   string // the report's column, for the message
	read     func() (uint64, uint64, error)
	progress io.Writer
	warned   bool
}

// pair is a reading: ok false when there is none.
type pair struct {
	a, b uint64
	ok   bool
}

func (g *groupCounts) take() pair {
	if g.read == nil {
		return pair{}
	}
	a, b, err := g.read()
	if err != nil {
		g.warn(err)
		return pair{}
	}
	return pair{a, b, true}
}

// delta is after minus before: count the first counter's increase, per the second's per first's.
func (g *groupCounts) delta(before, after pair) (count uint64, per float64) {
	if !before.ok || !after.ok {
		return 0, 0
	}
	if after.a < before.a || after.b < before.b {
		g.warn(fmt.Errorf("%w: %d, %d before the phase, %d, %d after", ErrCountersBackwards, before.a, before.b, after.a, after.b))
		return 0, 0
	}
	count = after.a - before.a
	if count == 0 {
		return 0, 0
	}
	return count, float64(after.b-before.b) / float64(count)
}

func (g *groupCounts) warn(err error) {
	if !g.warned {
		g.warned = true
		fmt.Fprintf(g.progress, "%s left empty: %v\n", g.column, err)
	}
}

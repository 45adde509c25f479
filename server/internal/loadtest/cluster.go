package loadtest

import (
	"math/rand/v2"
	"slices"
	"sync"
)

// Cluster is the set of instances requests are spread over. While one is down and being restarted,
// requests that pick it fail and are sent again to another pick.
type Cluster struct {
	mu   sync.RWMutex
	live []*Process
}

// NewCluster is a cluster of the given processes.
func NewCluster(ps ...*Process) *Cluster { return &Cluster{live: slices.Clone(ps)} }

// Pick returns the base URL of an instance chosen with rng.
func (c *Cluster) Pick(rng *rand.Rand) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live[rng.IntN(len(c.live))].URL
}

// Replace puts a restarted instance in the place of the old one.
func (c *Cluster) Replace(old, restarted *Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.live {
		if p == old {
			c.live[i] = restarted
		}
	}
}

package agent

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/terminal/queue"
)

// PruneInterval is how often RunRetention prunes the queue. Pruning is cheap when there is little
// to remove, and an hour keeps each run's work to about an hour of sales.
const PruneInterval = time.Hour

// Prune applies the retention rule (queue.Prune, with Options.KeepSettled) now; dryRun only counts.
func (a *Agent) Prune(ctx context.Context, dryRun bool) (queue.PruneResult, error) {
	return queue.Prune(ctx, a.opt.Store, queue.PruneOptions{
		KeepSettled: a.opt.KeepSettled, Now: a.opt.Clock.Now(), DryRun: dryRun, Logger: a.log,
	})
}

// RunRetention prunes the queue at start and every PruneInterval until ctx ends. A failed run is
// logged and tried again at the next interval: pruning never stops sales.
func (a *Agent) RunRetention(ctx context.Context) {
	t := time.NewTicker(PruneInterval)
	defer t.Stop()
	for {
		if _, err := a.Prune(ctx, false); err != nil && ctx.Err() == nil {
			a.log.Warn("queue pruning failed; will try again", "err", err, "retry_in", PruneInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

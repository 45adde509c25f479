package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/stillpay/stillpay/terminal/queue"
)

// staleQueue is the age at which a queued item means forwarding is stuck: the forwarder retries
// every few seconds while the server is reachable.
const staleQueue = 24 * time.Hour

func (r *run) checkQueue(ctx context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	path := r.cfg.Queue.Path
	now := r.opt.Clock.Now()
	if r.agent != nil {
		return queueResult(path+" (held by the running agent, which checks its consistency at every start)", r.agent.QueueDepth, r.agent.OldestQueued, now)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return ok("no queue file yet at %s (the agent creates it at its first start)", path)
	}
	if r.identity == nil {
		return skip("needs the terminal identity to open %s", path)
	}
	store, err := queue.OpenBolt(path, r.identity.TerminalID)
	switch {
	case errors.Is(err, queue.ErrCorrupt):
		return fail(fmt.Sprintf("keep the file: copy it off the terminal for recovery, then mv %s %s.corrupt and start the agent (a new queue is created)", path, path),
			"%v", err)
	case errors.Is(err, queue.ErrLocked):
		return fail("another posagent holds the queue but does not answer on the local API: systemctl status posagent; stop the stray process",
			"%v", err)
	case errors.Is(err, queue.ErrOtherTerminal):
		return fail("this queue has another terminal's unsent sales: export them (posagent queue export with the old identity) and import them on the server (settlementd admin import) before reusing the file",
			"%v", err)
	case err != nil:
		return fail("check the disk (free space, read-only file system) and the file's owner", "%v", err)
	}
	defer store.Close()
	var depth int
	var oldest time.Time
	err = store.View(ctx, func(tx queue.Tx) error {
		n, err := tx.OutboxLen()
		if err != nil {
			return err
		}
		depth = n
		first, err := tx.Outbox(1)
		if err != nil {
			return err
		}
		if len(first) > 0 {
			oldest = first[0].CreatedAt
		}
		return nil
	})
	if err != nil {
		return fail("copy the file off the terminal and tell support", "reading %s: %v", path, err)
	}
	return queueResult(path+" passes the bbolt consistency check", depth, oldest, now)
}

func queueResult(what string, depth int, oldest, now time.Time) Result {
	if depth == 0 {
		return ok("%s; nothing waiting to be forwarded", what)
	}
	age := now.Sub(oldest).Round(time.Second)
	if age > staleQueue {
		return warn("the server has not taken these for a day: check the server and enrolled lines; a dead terminal's queue is carried with posagent queue export and settlementd admin import",
			"%s; %d item(s) waiting, the oldest for %s", what, depth, age)
	}
	return ok("%s; %d item(s) waiting to be forwarded, the oldest for %s", what, depth, age)
}

// Free-space bounds for the queue's file system. An offline sale is a few kilobytes; below these the
// agent soon cannot commit sales (and then refuses them rather than lose them).
const (
	diskFail = 64 << 20
	diskWarn = 256 << 20
)

// DiskSpace reports the free and total bytes of the file system holding path.
type DiskSpace func(path string) (free, total uint64, err error)

func (r *run) checkDisk(context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	dir := existingDir(filepath.Dir(r.cfg.Queue.Path))
	free, total, err := r.opt.Disk(dir)
	if err != nil {
		return fail("check that the data partition is mounted", "cannot read free space of %s: %v", dir, err)
	}
	const fix = "free space on the data partition (old logs: journalctl --vacuum-size=50M); the queue needs room to record sales"
	detail := fmt.Sprintf("%s free of %s on the file system of %s", mib(free), mib(total), dir)
	switch {
	case free < diskFail:
		return fail(fix, "only %s", detail)
	case free < diskWarn:
		return warn(fix, "%s", detail)
	}
	return ok("%s", detail)
}

// existingDir walks up from dir to the nearest directory that exists, so a not yet created state
// directory still measures the right file system.
func existingDir(dir string) string {
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

func mib(n uint64) string { return fmt.Sprintf("%d MiB", n>>20) }

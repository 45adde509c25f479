package printer

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// conn is one open transport and the goroutine reading from it. The reader
// sorts what the printer sends into channels by kind, so that a status
// request never takes an ASB message (or a late job confirmation) for its
// answer.
type conn struct {
	t   transport
	log *slog.Logger

	realtime chan byte     // DLE EOT replies
	paper    chan byte     // GS r replies
	asb      chan [4]byte  // ASB messages
	xoff     atomic.Bool   // the printer asked us to pause (XOFF)
	dead     chan struct{} // closed when the reader stops
	deadErr  error         // why, valid after dead is closed
	closing  atomic.Bool   // Close was called: the read error is expected
	once     sync.Once
}

// replyBuffer bounds each reply channel; a printer that floods us with
// status loses the oldest, never blocks the reader.
const replyBuffer = 16

// closeWait bounds how long Close waits for the reader to stop.
const closeWait = 2 * time.Second

func newConn(t transport, log *slog.Logger) *conn {
	c := &conn{
		t: t, log: log,
		realtime: make(chan byte, replyBuffer),
		paper:    make(chan byte, replyBuffer),
		asb:      make(chan [4]byte, replyBuffer),
		dead:     make(chan struct{}),
	}
	go c.readLoop()
	return c
}

func (c *conn) readLoop() {
	defer close(c.dead)
	var sc escpos.ReplyScanner
	buf := make([]byte, 256)
	var replies []escpos.Reply
	for {
		n, err := c.t.Read(buf)
		if err != nil {
			if c.closing.Load() {
				c.deadErr = ErrClosed
			} else {
				c.log.Warn("printer connection lost", "err", err)
				c.deadErr = errors.Join(ErrDisconnected, err)
			}
			return
		}
		replies = sc.Feed(replies[:0], buf[:n])
		for _, r := range replies {
			c.dispatch(r)
		}
	}
}

func (c *conn) dispatch(r escpos.Reply) {
	switch r.Kind {
	case escpos.ReplyRealTime:
		offer(c.realtime, r.Data[0])
	case escpos.ReplyPaperSensor:
		offer(c.paper, r.Data[0])
	case escpos.ReplyASB:
		offer(c.asb, [4]byte(r.Data))
	case escpos.ReplyXOFF:
		c.xoff.Store(true)
	case escpos.ReplyXON:
		c.xoff.Store(false)
	case escpos.ReplyBlock:
		c.log.Debug("printer block data", "data", string(r.Data))
	default:
		c.log.Debug("printer sent unexpected bytes; ignored", "bytes", r.Data)
	}
}

// offer sends v, dropping the oldest queued value if the channel is full.
func offer[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

// drain empties a reply channel (whatever is in it answers an earlier
// request) and returns how many replies it dropped.
func drain[T any](ch chan T) int {
	for n := 0; ; n++ {
		select {
		case <-ch:
		default:
			return n
		}
	}
}

func (c *conn) close() error {
	var err error
	c.once.Do(func() {
		c.closing.Store(true)
		err = c.t.Close()
		// Close unblocks the reader on ttys, sockets and pollable device
		// files; do not hang on a device that does not.
		select {
		case <-c.dead:
		case <-time.After(closeWait):
			c.log.Warn("printer reader did not stop after close")
		}
	})
	return err
}

// alive reports whether the reader still runs.
func (c *conn) alive() bool {
	select {
	case <-c.dead:
		return false
	default:
		return true
	}
}

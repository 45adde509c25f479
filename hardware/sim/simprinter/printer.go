package simprinter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// Options configure a virtual printer.
type Options struct {
	// OutDir receives receipt-0001.txt/.png/.bin for every cut; empty
	// keeps receipts in memory only.
	OutDir string
	// Profile is the printer model it pretends to be (default
	// generic-80mm); it fixes paper width, code pages and native QR.
	Profile string
	// Silent makes it a unidirectional printer: it prints but never
	// answers anything.
	Silent bool
	// NoTransmitStatus makes it a printer without GS r (many clones): it
	// answers the real-time status (DLE EOT) but ignores GS r, so nothing
	// ever confirms that a job printed.
	NoTransmitStatus bool
	// PaperLines, if positive, is the paper left on the roll in lines:
	// after that many lines the paper runs out mid-job. SetPaperOut(false)
	// loads a new, endless roll.
	PaperLines int
	// MaxHeld bounds the bytes held while the printer is not ready
	// (default 1 MiB); more is dropped, as a full receive buffer would.
	MaxHeld int
	// KeepReceipts bounds how many receipts Receipts returns (default 256).
	KeepReceipts int
}

// Defaults for zero Options fields.
const (
	DefaultMaxHeld      = 1 << 20
	DefaultKeepReceipts = 256
	// replyQueue bounds replies waiting to be written to a host that is
	// not reading.
	replyQueue = 64
)

// ErrClosed is returned by methods of a closed Printer.
var ErrClosed = errors.New("simprinter: closed")

// Receipt is one cut receipt.
type Receipt struct {
	Seq      int
	Text     string   // the golden-file text (see escpos.TextLine)
	PNG      []byte   // the rendered image
	QR       []string // contents of the QR codes on it, read back from the image for raster ones
	Bytes    int      // ESC/POS bytes that made it
	Partial  bool     // torn off unfinished: buffers cleared mid-job (paper out)
	Notes    []string // why commands were skipped
	Drawer   int      // cash drawer kicks
	TextPath string   // files, when Options.OutDir is set
	PNGPath  string
	BinPath  string
}

// Printer is a virtual printer.
type Printer struct {
	opts    Options
	profile escpos.Profile
	log     *slog.Logger

	mu        sync.Mutex
	parser    escpos.Parser
	m         *machine
	paperOut  bool
	nearEnd   bool
	coverOpen bool
	offline   bool
	asbMask   byte
	statusAsk int // DLE EOT requests received
	held      []escpos.Command
	heldBytes int
	seq       int
	receipts  []Receipt
	changed   chan struct{} // closed and replaced on every new receipt or state change
	sink      *sink
	closed    bool

	// transport
	master, slave *os.File
	linkPath      string
	ln            net.Listener
	conn          net.Conn // the TCP host being served
	ctl           net.Listener
	wg            sync.WaitGroup
}

func newPrinter(opts Options, log *slog.Logger) (*Printer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prof, err := escpos.LookupProfile(opts.Profile)
	if err != nil {
		return nil, fmt.Errorf("simprinter: %w", err)
	}
	if opts.MaxHeld <= 0 {
		opts.MaxHeld = DefaultMaxHeld
	}
	if opts.KeepReceipts <= 0 {
		opts.KeepReceipts = DefaultKeepReceipts
	}
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return nil, fmt.Errorf("simprinter: output directory: %w", err)
		}
	}
	log = log.With("sim", "printer", "profile", prof.Name)
	return &Printer{
		opts: opts, profile: prof, log: log,
		m:       newMachine(prof, log),
		changed: make(chan struct{}),
	}, nil
}

// Profile is the model the printer simulates.
func (p *Printer) Profile() escpos.Profile { return p.profile }

// condition is the printer's state as status replies report it.
func (p *Printer) condition() escpos.Condition {
	c := escpos.Condition{
		CoverOpen:    p.coverOpen,
		PaperOut:     p.paperOut,
		PaperEndStop: p.paperOut,
		PaperNearEnd: p.nearEnd || p.paperOut,
	}
	c.Offline = p.paperOut || p.coverOpen || p.offline
	c.WaitingRecovery = p.offline && !p.paperOut && !p.coverOpen
	return c
}

func (p *Printer) ready() bool { return !p.paperOut && !p.coverOpen && !p.offline }

// SetPaperOut empties (true) or loads (false) the paper roll. Loading
// paper resumes held data, as a real printer does.
func (p *Printer) SetPaperOut(out bool) {
	p.setState(func() {
		p.paperOut = out
		if !out {
			p.opts.PaperLines = 0 // a fresh roll
			p.nearEnd = false
		}
	})
}

// SetPaperNearEnd sets the near-end sensor (printing continues).
func (p *Printer) SetPaperNearEnd(near bool) { p.setState(func() { p.nearEnd = near }) }

// SetCoverOpen opens or closes the cover.
func (p *Printer) SetCoverOpen(open bool) { p.setState(func() { p.coverOpen = open }) }

// SetOffline takes the printer offline (it still answers real-time
// status) or back online.
func (p *Printer) SetOffline(off bool) { p.setState(func() { p.offline = off }) }

// State reports paper out, cover open and offline.
func (p *Printer) State() (paperOut, coverOpen, offline bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paperOut, p.coverOpen, p.offline
}

func (p *Printer) setState(change func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.condition()
	change()
	after := p.condition()
	if before != after {
		p.log.Info("printer state changed", "paper_out", p.paperOut, "cover_open", p.coverOpen, "offline", p.offline)
		p.sendASB()
		p.notify()
	}
	p.runHeld()
}

// StatusRequests returns how many real-time status requests (DLE EOT) the
// printer has received, to see how often a host polls it.
func (p *Printer) StatusRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statusAsk
}

// Receipts returns the receipts cut so far (the last KeepReceipts).
func (p *Printer) Receipts() []Receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Receipt(nil), p.receipts...)
}

// WaitReceipts blocks until at least n receipts have been cut in total
// (partial ones included) and returns the kept ones.
func (p *Printer) WaitReceipts(ctx context.Context, n int) ([]Receipt, error) {
	for {
		p.mu.Lock()
		seq, ch, closed := p.seq, p.changed, p.closed
		p.mu.Unlock()
		if seq >= n {
			return p.Receipts(), nil
		}
		if closed {
			return p.Receipts(), ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return p.Receipts(), ctx.Err()
		}
	}
}

func (p *Printer) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// receive runs bytes from the host through the parser. Real-time commands
// act at once; the rest print now or are held while the printer is not
// ready.
func (p *Printer) receive(data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.parser.Feed(data, p.handle)
}

func (p *Printer) handle(cmd escpos.Command) {
	if cmd.Op.RealTime() {
		p.realtime(cmd)
		return
	}
	if p.ready() && len(p.held) == 0 {
		p.execute(cmd)
		return
	}
	if p.heldBytes+len(cmd.Raw) > p.opts.MaxHeld {
		p.log.Warn("receive buffer full while not ready; data dropped", "bytes", len(cmd.Raw), "command", cmd.Op.String())
		p.m.page.note("receive buffer overflow: %s dropped", cmd.Op)
		return
	}
	p.held = append(p.held, cmd)
	p.heldBytes += len(cmd.Raw)
}

// runHeld prints held commands while the printer is ready.
func (p *Printer) runHeld() {
	for len(p.held) > 0 && p.ready() {
		cmd := p.held[0]
		p.held[0] = escpos.Command{}
		p.held = p.held[1:]
		p.heldBytes -= len(cmd.Raw)
		p.execute(cmd)
	}
	if len(p.held) == 0 {
		p.held = nil
	}
}

// execute runs one buffered command in order.
func (p *Printer) execute(cmd escpos.Command) {
	if cmd.Op == escpos.OpTransmitStatus || cmd.Op == escpos.OpInit {
		if done := p.m.tear(); done != nil {
			p.finish(done, false)
		}
	}
	switch cmd.Op {
	case escpos.OpTransmitStatus:
		if p.opts.NoTransmitStatus {
			return
		}
		switch cmd.Args[0] {
		case 1, 49:
			p.reply(p.condition().PaperSensorReply())
		case 2, 50:
			p.reply(p.condition().DrawerReply())
		default:
			p.log.Warn("GS r with unknown n", "n", cmd.Args[0])
		}
		return
	case escpos.OpTransmitID:
		p.transmitID(cmd.Args[0])
		return
	case escpos.OpASB:
		p.asbMask = cmd.Args[0]
		if p.asbMask != 0 {
			p.sendASB() // Epson sends the current status when ASB is enabled
		}
		return
	}
	lines := p.m.linesPrinted
	if done := p.m.exec(cmd); done != nil {
		p.finish(done, false)
	}
	if p.opts.PaperLines > 0 && p.m.linesPrinted != lines && p.m.linesPrinted >= p.opts.PaperLines {
		p.log.Info("paper roll ran out")
		p.paperOut = true
		p.sendASB()
		p.notify()
	}
}

func (p *Printer) transmitID(n byte) {
	switch n {
	case 1, 49:
		p.reply(0x20) // model ID
	case 2, 50:
		p.reply(0x02) // type: autocutter
	case 3, 51:
		p.reply(0x01)
	case 65:
		p.reply(append(append([]byte{0x5f}, "1.00 SIM"...), 0)...)
	case 66:
		p.reply(append(append([]byte{0x5f}, "STILLPAY-SIM"...), 0)...)
	case 67:
		p.reply(append(append([]byte{0x5f}, p.profile.Name...), 0)...)
	default:
		p.log.Warn("GS I with unknown n", "n", n)
	}
}

// realtime answers DLE EOT / DLE ENQ / DLE DC4 ahead of buffered data.
func (p *Printer) realtime(cmd escpos.Command) {
	switch cmd.Op {
	case escpos.OpRealTimeStatus:
		p.statusAsk++
		n := cmd.Args[0]
		if n < escpos.StatusPrinter || n > escpos.StatusPaper {
			p.log.Warn("DLE EOT with unknown n", "n", n)
			return
		}
		p.reply(p.condition().RealTimeReply(n))
	case escpos.OpRealTimeRecover:
		if cmd.Args[0] == 2 {
			p.clearBuffers("DLE ENQ 2")
		}
	case escpos.OpRealTimeRequest:
		switch cmd.Args[0] {
		case 1: // pulse
			p.m.page.drawerKicks++
			p.log.Info("cash drawer kicked (real-time)")
		case 8:
			if [7]byte(cmd.Args[1:8]) == [7]byte{1, 3, 20, 1, 6, 2, 8} {
				p.clearBuffers("DLE DC4 8")
			} else {
				p.log.Warn("DLE DC4 8 with wrong parameters; ignored")
			}
		default:
			p.log.Warn("DLE DC4 function not modelled", "fn", cmd.Args[0])
		}
	}
}

// clearBuffers throws away held data and the unfinished page, which comes
// out as a partial receipt: that much paper did come out of the printer.
func (p *Printer) clearBuffers(why string) {
	p.log.Info("buffers cleared", "by", why, "held_bytes", p.heldBytes)
	p.held, p.heldBytes = nil, 0
	p.m.line, p.m.lineWidth = nil, 0
	if done := p.m.cut(); len(done.blocks) > 0 {
		p.finish(done, true)
	}
}

// finish renders a page into a receipt and files it.
func (p *Printer) finish(pg *page, partial bool) {
	p.seq++
	out, err := render(pg, p.profile.Dots)
	if err != nil {
		p.log.Error("rendering receipt", "err", err)
	}
	r := Receipt{Seq: p.seq, Text: out.text, PNG: out.png, QR: out.qrs, Bytes: len(pg.raw),
		Partial: partial, Notes: pg.notes, Drawer: pg.drawerKicks}
	if p.opts.OutDir != "" {
		base := filepath.Join(p.opts.OutDir, fmt.Sprintf("receipt-%04d", p.seq))
		if partial {
			base += "-partial"
		}
		r.TextPath, r.PNGPath, r.BinPath = base+".txt", base+".png", base+".bin"
		for path, data := range map[string][]byte{r.TextPath: []byte(out.text), r.PNGPath: out.png, r.BinPath: pg.raw} {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				p.log.Error("writing receipt", "path", path, "err", err)
			}
		}
	}
	p.log.Info("receipt cut", "seq", p.seq, "bytes", len(pg.raw), "partial", partial, "file", r.TextPath)
	p.receipts = append(p.receipts, r)
	if len(p.receipts) > p.opts.KeepReceipts {
		p.receipts = append([]Receipt(nil), p.receipts[len(p.receipts)-p.opts.KeepReceipts:]...)
	}
	p.notify()
}

func (p *Printer) sendASB() {
	if p.asbMask == 0 {
		return
	}
	m := p.condition().ASBMessage()
	p.reply(m[:]...)
}

// reply queues bytes for the host. A silent printer never answers.
func (p *Printer) reply(b ...byte) {
	if p.opts.Silent || p.sink == nil {
		return
	}
	p.sink.offer(b)
}

// sink writes replies to the host without ever blocking the printer.
type sink struct {
	w    io.Writer
	ch   chan []byte
	log  *slog.Logger
	done chan struct{}
}

func newSink(w io.Writer, log *slog.Logger) *sink {
	s := &sink{w: w, ch: make(chan []byte, replyQueue), log: log, done: make(chan struct{})}
	go s.run()
	return s
}

func (s *sink) run() {
	for {
		select {
		case b := <-s.ch:
			if _, err := s.w.Write(b); err != nil {
				s.log.Debug("reply not delivered", "err", err)
			}
		case <-s.done:
			return
		}
	}
}

func (s *sink) offer(b []byte) {
	select {
	case s.ch <- append([]byte(nil), b...):
	default:
		s.log.Warn("host is not reading replies; reply dropped")
	}
}

func (s *sink) stop() { close(s.done) }

// serve reads the host's bytes until the connection ends.
func (p *Printer) serve(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			p.receive(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// Close stops the printer and removes its device link.
func (p *Printer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.notify()
	ctl, conn := p.ctl, p.conn
	p.mu.Unlock()
	var errs []error
	if ctl != nil {
		errs = append(errs, ctl.Close()) // also removes the socket file
	}
	if p.ln != nil {
		errs = append(errs, p.ln.Close())
		if conn != nil {
			conn.Close()
		}
	}
	if p.master != nil {
		errs = append(errs, p.master.Close())
	}
	p.wg.Wait()
	if p.slave != nil {
		errs = append(errs, p.slave.Close())
	}
	if p.linkPath != "" {
		if err := os.Remove(p.linkPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	p.mu.Lock()
	if p.sink != nil {
		p.sink.stop()
		p.sink = nil
	}
	p.mu.Unlock()
	return errors.Join(errs...)
}

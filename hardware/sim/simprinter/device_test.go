package simprinter

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/escpos"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// host is a raw TCP client: the test speaks ESC/POS bytes directly.
type host struct {
	t *testing.T
	c net.Conn
}

func dialSim(t *testing.T, opts Options) (*Printer, *host) {
	t.Helper()
	sim, err := ListenTCP("127.0.0.1:0", opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := net.Dial("tcp", sim.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return sim, &host{t, c}
}

func (h *host) send(b ...byte) {
	h.t.Helper()
	if _, err := h.c.Write(b); err != nil {
		h.t.Fatal(err)
	}
}

// read returns the next n bytes the printer sends (the deadline only keeps
// a broken test from hanging).
func (h *host) read(n int) []byte {
	h.t.Helper()
	_ = h.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, n)
	for got := 0; got < n; {
		k, err := h.c.Read(buf[got:])
		if err != nil {
			h.t.Fatalf("reading %d reply bytes: %v", n, err)
		}
		got += k
	}
	return buf
}

// sync returns once the printer has parsed everything sent so far: a
// real-time request is answered in stream order.
func (h *host) sync() {
	h.t.Helper()
	h.send(0x10, 0x04, 1)
	h.read(1)
}

func TestRealTimeStatusReplies(t *testing.T) {
	sim, h := dialSim(t, Options{})
	h.send(0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 3, 0x10, 0x04, 4)
	if got := h.read(4); !bytes.Equal(got, []byte{0x12, 0x12, 0x12, 0x12}) {
		t.Fatalf("ready printer: % x", got)
	}
	sim.SetPaperOut(true)
	h.send(0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4)
	// offline (bit 3), paper end stop (bit 5), near end + not present
	if got := h.read(3); !bytes.Equal(got, []byte{0x1a, 0x32, 0x7e}) {
		t.Fatalf("paper out: % x", got)
	}
	sim.SetPaperOut(false)
	sim.SetCoverOpen(true)
	h.send(0x10, 0x04, 2)
	if got := h.read(1); got[0] != 0x16 {
		t.Fatalf("cover open: %#x", got[0])
	}
}

// While out of paper the printer holds data (answering only real-time
// requests); loading paper prints it, and GS r answers after it.
func TestHoldsDataUntilReady(t *testing.T) {
	sim, h := dialSim(t, Options{})
	sim.SetPaperOut(true)
	h.send([]byte("held\n\x1dVB\x00\x1dr\x01")...)
	h.send(0x10, 0x04, 4) // answered at once, ahead of the held GS r
	if got := h.read(1); got[0] != 0x7e {
		t.Fatalf("DLE EOT 4 while out of paper: %#x", got[0])
	}
	if n := sim.Command("receipts"); n != "ok 0" {
		t.Fatalf("printed without paper: %s", n)
	}
	sim.SetPaperOut(false)
	rs, err := sim.WaitReceipts(testContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Text != "    |held\n" {
		t.Errorf("text %q", rs[0].Text)
	}
	if got := h.read(1); got[0] != 0x00 {
		t.Errorf("GS r 1 after loading paper: %#x, want 0 (paper ok)", got[0])
	}
}

// DLE DC4 8 throws the held data away.
func TestClearBuffers(t *testing.T) {
	sim, h := dialSim(t, Options{})
	h.send([]byte("torn\n")...)
	h.sync()
	sim.SetPaperOut(true)
	h.send([]byte("never\n\x1dVB\x00")...)
	h.send(escpos.ClearBuffersCommand()...)
	rs, err := sim.WaitReceipts(testContext(t), 1) // the torn page
	if err != nil {
		t.Fatal(err)
	}
	if !rs[0].Partial || rs[0].Text != "    |torn\n" {
		t.Fatalf("torn receipt: %+v", rs[0])
	}
	sim.SetPaperOut(false)
	h.send([]byte("fresh\n\x1dVB\x00\x1dr\x01")...)
	h.read(1)
	rs = sim.Receipts()
	if len(rs) != 2 || rs[1].Text != "    |fresh\n" {
		t.Fatalf("after clearing: %d receipts, last %q", len(rs), rs[len(rs)-1].Text)
	}
}

// The receive buffer is bounded while the printer is not ready.
func TestHeldDataIsBounded(t *testing.T) {
	sim, h := dialSim(t, Options{MaxHeld: 64})
	sim.SetPaperOut(true)
	for i := 0; i < 20; i++ {
		h.send([]byte("0123456789\n")...)
	}
	h.sync()
	sim.mu.Lock()
	held := sim.heldBytes
	sim.mu.Unlock()
	if held > 64 {
		t.Fatalf("holding %d bytes, limit 64", held)
	}
	sim.SetPaperOut(false)
	h.send(0x1d, 'V', 66, 0)
	rs, err := sim.WaitReceipts(testContext(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(rs[0].Notes, ";"), "receive buffer overflow") {
		t.Errorf("overflow not noted: %v", rs[0].Notes)
	}
}

func TestASB(t *testing.T) {
	sim, h := dialSim(t, Options{Profile: "epson-tm-t88vi"})
	h.send(0x1d, 'a', 0x0f)
	if got := h.read(4); !bytes.Equal(got, []byte{0x10, 0, 0, 0}) {
		t.Fatalf("ASB on enable: % x", got)
	}
	sim.SetCoverOpen(true)
	got := h.read(4)
	var c escpos.Condition
	if err := c.ApplyASB([4]byte(got)); err != nil || !c.CoverOpen || !c.Offline {
		t.Fatalf("ASB after cover open: % x -> %+v, %v", got, c, err)
	}
}

func TestTransmitID(t *testing.T) {
	_, h := dialSim(t, Options{Profile: "epson-tm-t20iii"})
	h.send(0x1d, 'I', 67)
	want := append(append([]byte{0x5f}, "epson-tm-t20iii"...), 0)
	if got := h.read(len(want)); !bytes.Equal(got, want) {
		t.Fatalf("GS I 67: %q", got)
	}
}

func TestReceiptFilesAndKeepLimit(t *testing.T) {
	out := t.TempDir()
	sim, h := dialSim(t, Options{OutDir: out, KeepReceipts: 2})
	for _, s := range []string{"one", "two", "three"} {
		h.send([]byte(s + "\n\x1dVB\x00")...)
	}
	if _, err := sim.WaitReceipts(testContext(t), 3); err != nil {
		t.Fatal(err)
	}
	rs := sim.Receipts()
	if len(rs) != 2 || rs[0].Seq != 2 || rs[1].Seq != 3 {
		t.Fatalf("kept %d receipts: %+v", len(rs), rs)
	}
	b, err := os.ReadFile(filepath.Join(out, "receipt-0001.txt"))
	if err != nil || string(b) != "    |one\n" {
		t.Fatalf("receipt-0001.txt: %q, %v", b, err)
	}
	bin, err := os.ReadFile(filepath.Join(out, "receipt-0003.bin"))
	if err != nil || string(bin) != "three\n\x1dVB\x00" {
		t.Fatalf("receipt-0003.bin: %q, %v", bin, err)
	}
	if _, err := os.Stat(filepath.Join(out, "receipt-0002.png")); err != nil {
		t.Fatal(err)
	}
}

func TestControlSocket(t *testing.T) {
	ctx := testContext(t)
	sim, err := NewPTY(Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sock := filepath.Join(t.TempDir(), "printer.sock")
	if err := sim.ServeControl(sock); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("control socket mode: %v, %v", fi.Mode(), err)
	}
	tests := []struct {
		cmd, want string
		fails     bool
	}{
		{"paper-out on", "ok paper-out on", false},
		{"status", "ok paper-out=true cover-open=false offline=false", false},
		{"paper-out off", "ok paper-out off", false},
		{"cover-open on", "ok cover-open on", false},
		{"offline on", "ok offline on", false},
		{"status", "ok paper-out=false cover-open=true offline=true", false},
		{"receipts", "ok 0", false},
		{"paper-out maybe", "error: want <setting> on|off", true},
		{"launch rockets", "error: want <setting> on|off", true},
		{"jam on", `error: unknown setting "jam"`, true},
		{"", "error: empty command", true},
	}
	for _, tt := range tests {
		got, err := Control(ctx, sock, tt.cmd)
		if (err != nil) != tt.fails || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%q: got %q, %v; want %q (fails %v)", tt.cmd, got, err, tt.want, tt.fails)
		}
	}
	if _, cover, off := sim.State(); !cover || !off {
		t.Error("control commands did not change the state")
	}
	sim.Close()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left behind after Close: %v", err)
	}
}

func TestLink(t *testing.T) {
	sim, err := NewPTY(Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "printer")
	if err := sim.Link(link); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(link); err != nil || target != sim.Path() {
		t.Fatalf("link -> %q, %v; want %q", target, err, sim.Path())
	}
	regular := filepath.Join(t.TempDir(), "file")
	os.WriteFile(regular, nil, 0o644)
	if err := sim.Link(regular); err == nil {
		t.Error("Link replaced a regular file")
	}
	sim.Close()
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Errorf("link left behind: %v", err)
	}
}

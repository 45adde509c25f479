package escpos

import (
	"errors"
	"testing"
)

// Reply bytes from the Epson tables and the masks python-escpos and
// receiptio use (see hardware.md §3.2).
func TestApplyRealTime(t *testing.T) {
	tests := []struct {
		name string
		n, b byte
		want Condition
	}{
		{"printer online", StatusPrinter, 0x12, Condition{}},
		{"printer offline", StatusPrinter, 0x1a, Condition{Offline: true}},
		{"drawer pin high", StatusPrinter, 0x16, Condition{DrawerPin3High: true}},
		{"cover open", StatusOffline, 0x16, Condition{CoverOpen: true}},
		{"paper end stop", StatusOffline, 0x32, Condition{PaperEndStop: true}},
		{"error", StatusOffline, 0x52, Condition{ErrorOccurred: true}},
		{"cutter", StatusError, 0x1a, Condition{CutterError: true}},
		{"unrecoverable", StatusError, 0x32, Condition{UnrecoverableError: true}},
		{"paper near end (python-escpos LOWPAPER 0x1e)", StatusPaper, 0x1e, Condition{PaperNearEnd: true}},
		{"no paper (python-escpos NOPAPER 0x72)", StatusPaper, 0x72, Condition{PaperOut: true}},
		{"paper ok", StatusPaper, 0x12, Condition{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Condition
			if err := c.ApplyRealTime(tt.n, tt.b); err != nil {
				t.Fatal(err)
			}
			if c != tt.want {
				t.Errorf("got %+v, want %+v", c, tt.want)
			}
		})
	}
}

func TestApplyRealTimeRejects(t *testing.T) {
	var c Condition
	for _, b := range []byte{0x00, 0x10, 0x13, 0x92, 0xff} {
		if err := c.ApplyRealTime(StatusPrinter, b); !errors.Is(err, ErrBadStatusByte) {
			t.Errorf("%#02x: err = %v, want ErrBadStatusByte", b, err)
		}
	}
	if err := c.ApplyRealTime(9, 0x12); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("group 9: err = %v", err)
	}
}

// What the simulator sends is what the driver reads back.
func TestStatusRoundTrip(t *testing.T) {
	conds := []Condition{
		{},
		{Offline: true, CoverOpen: true},
		{Offline: true, PaperOut: true, PaperEndStop: true, PaperNearEnd: true},
		{CutterError: true, Offline: true},
		{DrawerPin3High: true, PaperNearEnd: true},
	}
	for _, want := range conds {
		var got Condition
		for n := byte(1); n <= 4; n++ {
			b := want.RealTimeReply(n)
			if !IsRealTimeReply(b) {
				t.Fatalf("reply %#02x for group %d has wrong fixed bits", b, n)
			}
			if err := got.ApplyRealTime(n, b); err != nil {
				t.Fatal(err)
			}
		}
		if got != want {
			t.Errorf("DLE EOT round trip: got %+v, want %+v", got, want)
		}
		var asb Condition
		if err := asb.ApplyASB(want.ASBMessage()); err != nil {
			t.Fatal(err)
		}
		if asb.PaperOut != want.PaperOut || asb.CoverOpen != want.CoverOpen || asb.Offline != want.Offline || asb.CutterError != want.CutterError {
			t.Errorf("ASB round trip: got %+v, want %+v", asb, want)
		}
		var gsr Condition
		if err := gsr.ApplyPaperSensor(want.PaperSensorReply()); err != nil {
			t.Fatal(err)
		}
		if gsr.PaperOut != want.PaperOut || gsr.PaperNearEnd != want.PaperNearEnd {
			t.Errorf("GS r round trip: got %+v, want %+v", gsr, want)
		}
	}
}

func TestReady(t *testing.T) {
	if !(Condition{PaperNearEnd: true}).Ready() {
		t.Error("near end should still print")
	}
	for _, c := range []Condition{{Offline: true}, {CoverOpen: true}, {PaperOut: true}, {CutterError: true}} {
		if c.Ready() {
			t.Errorf("%+v reported ready", c)
		}
	}
}

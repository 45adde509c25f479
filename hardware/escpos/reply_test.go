package escpos

import (
	"reflect"
	"testing"
)

var replyTests = []struct {
	name string
	in   []byte
	want []Reply
}{
	{"DLE EOT reply", []byte{0x12}, []Reply{{ReplyRealTime, []byte{0x12}}}},
	{"GS r reply, paper ok and out", []byte{0x00, 0x0c}, []Reply{{ReplyPaperSensor, []byte{0x00}}, {ReplyPaperSensor, []byte{0x0c}}}},
	{"ASB message", []byte{0x18, 0x00, 0x0c, 0x00}, []Reply{{ReplyASB, []byte{0x18, 0x00, 0x0c, 0x00}}}},
	{"ASB then DLE EOT", []byte{0x10, 0, 0, 0, 0x16}, []Reply{{ReplyASB, []byte{0x10, 0, 0, 0}}, {ReplyRealTime, []byte{0x16}}}},
	{"block data", append([]byte{0x5f}, "EPSON\x00"...), []Reply{{ReplyBlock, []byte("EPSON")}}},
	{"XOFF XON", []byte{0x13, 0x11}, []Reply{{ReplyXOFF, []byte{0x13}}, {ReplyXON, []byte{0x11}}}},
	{"broken ASB header", []byte{0x10, 0x12}, []Reply{{ReplyUnknown, []byte{0x10}}, {ReplyRealTime, []byte{0x12}}}},
	{"high byte", []byte{0x80}, []Reply{{ReplyUnknown, []byte{0x80}}}},
	{"unfinished ASB waits", []byte{0x10, 0x00}, nil},
}

func TestReplyScanner(t *testing.T) {
	for _, tt := range replyTests {
		t.Run(tt.name, func(t *testing.T) {
			var s ReplyScanner
			got := s.Feed(nil, tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			// Byte by byte gives the same.
			var s2 ReplyScanner
			var got2 []Reply
			for _, b := range tt.in {
				got2 = s2.Feed(got2, []byte{b})
			}
			if !reflect.DeepEqual(got2, tt.want) {
				t.Errorf("byte by byte: got %v, want %v", got2, tt.want)
			}
		})
	}
}

func TestReplyScannerBoundsBlockData(t *testing.T) {
	var s ReplyScanner
	in := append([]byte{0x5f}, make([]byte, 1000)...)
	for i := range in[1:] {
		in[1+i] = 'x'
	}
	got := s.Feed(nil, in)
	if len(got) == 0 || len(got[0].Data) != MaxBlockData {
		t.Fatalf("block data not cut at %d: %v", MaxBlockData, got)
	}
	if len(s.pending) > MaxBlockData {
		t.Errorf("scanner holds %d bytes", len(s.pending))
	}
}

// FuzzReplyScanner: any byte stream, split anywhere, gives the same
// replies, each well formed, and the scanner never holds more than a block.
func FuzzReplyScanner(f *testing.F) {
	for _, tt := range replyTests {
		f.Add(tt.in, uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		var whole ReplyScanner
		want := whole.Feed(nil, in)
		var parts ReplyScanner
		var got []Reply
		step := int(split%16) + 1
		for i := 0; i < len(in); i += step {
			got = parts.Feed(got, in[i:min(i+step, len(in))])
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("split feed differs:\n got %v\nwant %v", got, want)
		}
		for _, r := range got {
			switch r.Kind {
			case ReplyRealTime:
				if len(r.Data) != 1 || !IsRealTimeReply(r.Data[0]) {
					t.Fatalf("bad real-time reply %v", r)
				}
			case ReplyASB:
				var c Condition
				if err := c.ApplyASB([4]byte(r.Data)); err != nil {
					t.Fatalf("ASB reply does not decode: %v", err)
				}
			case ReplyBlock:
				if len(r.Data) > MaxBlockData {
					t.Fatalf("block of %d bytes", len(r.Data))
				}
			}
		}
		if len(whole.pending) > MaxBlockData {
			t.Fatalf("scanner holds %d bytes", len(whole.pending))
		}
	})
}

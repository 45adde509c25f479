package escpos

import "strconv"

// ReplyKind says what a byte sequence from the printer is.
type ReplyKind int

// Kinds of data a printer sends back.
const (
	ReplyRealTime    ReplyKind = iota + 1 // one byte answering DLE EOT
	ReplyPaperSensor                      // one byte answering GS r 1 (or GS r 2)
	ReplyASB                              // four-byte Automatic Status Back message
	ReplyBlock                            // block data answering GS I and others: header, text, NUL
	ReplyXON                              // software flow control: resume sending
	ReplyXOFF                             // software flow control: stop sending
	ReplyUnknown                          // a byte that fits nothing; skipped
)

var replyKindNames = map[ReplyKind]string{
	ReplyRealTime: "real-time status", ReplyPaperSensor: "paper sensor status", ReplyASB: "ASB",
	ReplyBlock: "block data", ReplyXON: "XON", ReplyXOFF: "XOFF", ReplyUnknown: "unknown",
}

func (k ReplyKind) String() string {
	if s, ok := replyKindNames[k]; ok {
		return s
	}
	return "ReplyKind(" + strconv.Itoa(int(k)) + ")"
}

// Reply is one complete message from the printer.
type Reply struct {
	Kind ReplyKind
	Data []byte // 1 byte, 4 for ASB, the text between header and NUL for block data
}

// MaxBlockData bounds block data (GS I answers are short); longer runs are
// cut off so that a babbling device cannot grow memory.
const MaxBlockData = 80

// ReplyScanner splits the bytes a printer sends into replies. The kinds are
// told apart by their fixed bits, as receiptio does:
//
//	0xx1xx10            DLE EOT reply
//	0xx1xx00 + 3 bytes  ASB message (the 3 bytes have bits 4 and 7 clear)
//	0xx0xxxx            GS r reply
//	0x5F/0x3D/... NUL   block data (GS I)
//	0x11 / 0x13         XON / XOFF
//
// Feed it whatever Read returned; it keeps the tail of an unfinished
// message for the next call.
type ReplyScanner struct {
	pending []byte
	inBlock bool
}

// blockHeaders start block data: 0x5F for GS I, 0x3D/0x35/0x37/0x3B for
// the other "transmit" commands of Epson firmware.
func isBlockHeader(b byte) bool {
	switch b {
	case 0x5f, 0x3d, 0x35, 0x37, 0x3b:
		return true
	}
	return false
}

// Feed appends the replies completed by data to dst.
func (s *ReplyScanner) Feed(dst []Reply, data []byte) []Reply {
	for _, b := range data {
		dst = s.feedByte(dst, b)
	}
	return dst
}

func (s *ReplyScanner) feedByte(dst []Reply, b byte) []Reply {
	if s.inBlock {
		if b == NUL || len(s.pending) >= MaxBlockData {
			dst = append(dst, Reply{Kind: ReplyBlock, Data: s.pending})
			s.pending, s.inBlock = nil, false
			if b == NUL {
				return dst
			}
		} else {
			s.pending = append(s.pending, b)
			return dst
		}
	}
	if len(s.pending) > 0 { // inside an ASB message
		if b&0x90 != 0 {
			// Not an ASB continuation: the header was something else.
			// Report it and start over with b.
			dst = append(dst, Reply{Kind: ReplyUnknown, Data: s.pending})
			s.pending = nil
			return s.feedByte(dst, b)
		}
		s.pending = append(s.pending, b)
		if len(s.pending) == 4 {
			dst = append(dst, Reply{Kind: ReplyASB, Data: s.pending})
			s.pending = nil
		}
		return dst
	}
	switch {
	case b == XON:
		return append(dst, Reply{Kind: ReplyXON, Data: []byte{b}})
	case b == XOF:
		return append(dst, Reply{Kind: ReplyXOFF, Data: []byte{b}})
	case isBlockHeader(b):
		s.inBlock = true
		s.pending = make([]byte, 0, 16)
		return dst
	case IsRealTimeReply(b):
		return append(dst, Reply{Kind: ReplyRealTime, Data: []byte{b}})
	case IsASBHeader(b):
		s.pending = append(make([]byte, 0, 4), b)
		return dst
	case IsPaperSensorReply(b):
		return append(dst, Reply{Kind: ReplyPaperSensor, Data: []byte{b}})
	}
	return append(dst, Reply{Kind: ReplyUnknown, Data: []byte{b}})
}

package escpos

import (
	"fmt"
)

// Op identifies a parsed command.
type Op int

// Commands the Parser recognises. Ops marked "ignored" are parsed to their
// full length (so their parameters do not print as text) but have no effect
// the simulator models; they come with a Reason.
const (
	OpText               Op = iota + 1 // printable bytes, Data
	OpLF                               // LF
	OpCR                               // CR (no effect on these printers)
	OpHT                               // HT
	OpFF                               // FF (page mode print; prints the line)
	OpInit                             // ESC @
	OpPrintMode                        // ESC ! n
	OpBold                             // ESC E n
	OpUnderline                        // ESC - n
	OpAlign                            // ESC a n
	OpCodePage                         // ESC t n
	OpFont                             // ESC M n
	OpFeedLines                        // ESC d n
	OpFeedDots                         // ESC J n
	OpLineSpacingDefault               // ESC 2
	OpLineSpacing                      // ESC 3 n
	OpDrawerKick                       // ESC p m t1 t2
	OpSize                             // GS ! n
	OpCut                              // GS V m [n], ESC i, ESC m; Args[0] = m
	OpRaster                           // GS v 0 m xL xH yL yH; Args = m xL xH yL yH, Data = bits
	OpBarcode                          // GS k; Args[0] = m, Data = digits
	OpQR                               // GS ( k; Data = cn fn [params/data]
	OpASB                              // GS a n
	OpTransmitStatus                   // GS r n
	OpTransmitID                       // GS I n
	OpRealTimeStatus                   // DLE EOT n
	OpRealTimeRecover                  // DLE ENQ n
	OpRealTimeRequest                  // DLE DC4 fn ...; Args = fn and its parameters
	OpKanjiOn                          // FS &
	OpKanjiOff                         // FS .
	OpIgnored                          // a known command with no modelled effect; Reason says which
	OpUnknown                          // bytes that are no command we know; skipped, Reason says why
)

var opNames = map[Op]string{
	OpText: "text", OpLF: "LF", OpCR: "CR", OpHT: "HT", OpFF: "FF", OpInit: "ESC @",
	OpPrintMode: "ESC !", OpBold: "ESC E", OpUnderline: "ESC -", OpAlign: "ESC a", OpCodePage: "ESC t",
	OpFont: "ESC M", OpFeedLines: "ESC d", OpFeedDots: "ESC J", OpLineSpacingDefault: "ESC 2",
	OpLineSpacing: "ESC 3", OpDrawerKick: "ESC p", OpSize: "GS !", OpCut: "GS V", OpRaster: "GS v 0",
	OpBarcode: "GS k", OpQR: "GS ( k", OpASB: "GS a", OpTransmitStatus: "GS r", OpTransmitID: "GS I",
	OpRealTimeStatus: "DLE EOT", OpRealTimeRecover: "DLE ENQ", OpRealTimeRequest: "DLE DC4",
	OpKanjiOn: "FS &", OpKanjiOff: "FS .", OpIgnored: "ignored", OpUnknown: "unknown",
}

func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// RealTime reports whether the printer executes the command on receipt,
// ahead of buffered data and even while offline.
func (o Op) RealTime() bool {
	return o == OpRealTimeStatus || o == OpRealTimeRecover || o == OpRealTimeRequest
}

// Command is one parsed command.
type Command struct {
	Op     Op
	Args   []byte // fixed parameters
	Data   []byte // variable payload
	Reason string // for OpIgnored and OpUnknown
	Raw    []byte // every byte of the command as received; Args and Data alias it
}

func (c Command) String() string {
	switch c.Op {
	case OpText:
		return fmt.Sprintf("text %q", c.Data)
	case OpIgnored, OpUnknown:
		return fmt.Sprintf("%s: %s", c.Op, c.Reason)
	}
	if len(c.Data) > 0 {
		return fmt.Sprintf("%s % x +%d bytes", c.Op, c.Args, len(c.Data))
	}
	return fmt.Sprintf("%s % x", c.Op, c.Args)
}

// Bounds of the parser's memory.
const (
	// DefaultMaxPayload is the largest payload (raster strip, QR data, ...)
	// held for one command; larger ones are skipped as they stream by.
	DefaultMaxPayload = 1 << 20
	// maxTerminated bounds NUL-terminated parameters (GS k format A, ESC D).
	maxTerminated = 255
)

// Parser splits an ESC/POS byte stream into Commands. It accepts the stream
// in pieces of any size, holds at most one incomplete command (bounded by
// MaxPayload), and never fails: bytes it cannot make sense of come out as
// OpUnknown with a reason and parsing resumes after them.
type Parser struct {
	// MaxPayload overrides DefaultMaxPayload when positive.
	MaxPayload int

	buf  []byte
	skip int // payload bytes of an oversized command still to discard
}

func (p *Parser) maxPayload() int {
	if p.MaxPayload > 0 {
		return p.MaxPayload
	}
	return DefaultMaxPayload
}

// Pending is the number of bytes held for an incomplete command.
func (p *Parser) Pending() int { return len(p.buf) }

// Reset drops any incomplete command.
func (p *Parser) Reset() {
	p.buf = p.buf[:0]
	p.skip = 0
}

// Feed parses data and calls emit for every complete command, in order.
// Commands own their slices.
func (p *Parser) Feed(data []byte, emit func(Command)) {
	if p.skip > 0 {
		n := min(p.skip, len(data))
		p.skip -= n
		data = data[n:]
	}
	p.buf = append(p.buf, data...)
	i := 0
	for i < len(p.buf) {
		cmd, n, skip := p.parse(p.buf[i:])
		if n == 0 {
			break // incomplete
		}
		cmd = own(cmd, p.buf[i:i+n])
		i += n
		emit(cmd)
		if skip > 0 {
			rest := len(p.buf) - i
			if skip <= rest {
				i += skip
			} else {
				p.skip = skip - rest
				i = len(p.buf)
			}
		}
	}
	// Keep the incomplete tail at the front of the buffer.
	rest := copy(p.buf, p.buf[i:])
	p.buf = p.buf[:rest]
	if cap(p.buf) > 4*p.maxPayload() && rest < p.maxPayload() {
		p.buf = append([]byte(nil), p.buf...)
	}
}

// parse reads one command from the front of b. It returns n == 0 when b
// holds only part of a command. skip > 0 means: after emitting cmd, discard
// that many more bytes (an oversized payload).
func (p *Parser) parse(b []byte) (cmd Command, n, skip int) {
	c := b[0]
	if c >= 0x20 {
		j := 1
		for j < len(b) && b[j] >= 0x20 {
			j++
		}
		return Command{Op: OpText, Data: b[:j]}, j, 0
	}
	switch c {
	case LF:
		return Command{Op: OpLF}, 1, 0
	case CR:
		return Command{Op: OpCR}, 1, 0
	case HT:
		return Command{Op: OpHT}, 1, 0
	case FF:
		return Command{Op: OpFF}, 1, 0
	case NUL:
		return ignored("NUL"), 1, 0
	case CAN:
		return ignored("CAN (page mode cancel)"), 1, 0
	case ESC:
		return p.parseESC(b)
	case GS:
		return p.parseGS(b)
	case FS:
		return p.parseFS(b)
	case DLE:
		return p.parseDLE(b)
	}
	return unknown("control byte %#02x", c), 1, 0
}

func ignored(what string) Command { return Command{Op: OpIgnored, Reason: what + " not modelled"} }

func unknown(format string, args ...any) Command {
	return Command{Op: OpUnknown, Reason: fmt.Sprintf(format, args...)}
}

// own copies the command's bytes out of the parser's buffer once, into Raw,
// and points Args and Data into that copy. Args and Data were sliced from
// b, so their offset in b is cap(b) - cap(slice).
func own(cmd Command, b []byte) Command {
	raw := append([]byte(nil), b...)
	rebase := func(s []byte) []byte {
		if s == nil {
			return nil
		}
		off := cap(b) - cap(s)
		if off < 0 || off+len(s) > len(raw) {
			return append([]byte(nil), s...) // not from b: keep a copy
		}
		return raw[off : off+len(s) : off+len(s)]
	}
	cmd.Args = rebase(cmd.Args)
	cmd.Data = rebase(cmd.Data)
	cmd.Raw = raw
	return cmd
}

// fixed returns a command of 2+argc bytes, or n == 0 if b is shorter.
func fixed(b []byte, op Op, argc int, reason string) (Command, int, int) {
	if len(b) < 2+argc {
		return Command{}, 0, 0
	}
	cmd := Command{Op: op, Args: b[2 : 2+argc]}
	if op == OpIgnored {
		cmd.Reason = reason + " not modelled"
	}
	return cmd, 2 + argc, 0
}

// payload returns a command whose header is hdr bytes long followed by
// size payload bytes, skipping the payload when it is over the limit.
func (p *Parser) payload(b []byte, op Op, hdr, size int, args []byte, name string) (Command, int, int) {
	if size > p.maxPayload() {
		return unknown("%s payload of %d bytes exceeds the %d-byte limit; skipped", name, size, p.maxPayload()), hdr, size
	}
	if len(b) < hdr+size {
		return Command{}, 0, 0
	}
	cmd := Command{Op: op, Args: args, Data: b[hdr : hdr+size]}
	if op == OpIgnored {
		cmd.Reason = name + " not modelled"
	}
	return cmd, hdr + size, 0
}

// terminated returns a command whose data runs from start to a NUL.
func terminated(b []byte, op Op, start int, name string) (Command, int, int) {
	end := start
	for end < len(b) && b[end] != NUL {
		if end-start >= maxTerminated {
			return unknown("%s without NUL within %d bytes; header skipped", name, maxTerminated), start, 0
		}
		end++
	}
	if end == len(b) {
		return Command{}, 0, 0
	}
	cmd := Command{Op: op, Args: b[2:start], Data: b[start:end]}
	if op == OpIgnored {
		cmd.Reason = name + " not modelled"
	}
	return cmd, end + 1, 0
}

func (p *Parser) parseESC(b []byte) (Command, int, int) {
	if len(b) < 2 {
		return Command{}, 0, 0
	}
	switch c := b[1]; c {
	case '@':
		return Command{Op: OpInit}, 2, 0
	case '!':
		return fixed(b, OpPrintMode, 1, "")
	case 'E':
		return fixed(b, OpBold, 1, "")
	case '-':
		return fixed(b, OpUnderline, 1, "")
	case 'a':
		return fixed(b, OpAlign, 1, "")
	case 't':
		return fixed(b, OpCodePage, 1, "")
	case 'M':
		return fixed(b, OpFont, 1, "")
	case 'd':
		return fixed(b, OpFeedLines, 1, "")
	case 'J':
		return fixed(b, OpFeedDots, 1, "")
	case '2':
		return Command{Op: OpLineSpacingDefault}, 2, 0
	case '3':
		return fixed(b, OpLineSpacing, 1, "")
	case 'p':
		return fixed(b, OpDrawerKick, 3, "")
	case 'i', 'm':
		return Command{Op: OpCut, Args: []byte{c}}, 2, 0
	case 'G':
		return fixed(b, OpIgnored, 1, "ESC G (double strike)")
	case ' ':
		return fixed(b, OpIgnored, 1, "ESC SP (character spacing)")
	case '{':
		return fixed(b, OpIgnored, 1, "ESC { (upside down)")
	case 'R':
		return fixed(b, OpIgnored, 1, "ESC R (international character set)")
	case 'V':
		return fixed(b, OpIgnored, 1, "ESC V (rotation)")
	case 'r':
		return fixed(b, OpIgnored, 1, "ESC r (colour)")
	case 'K', 'e':
		return fixed(b, OpIgnored, 1, "reverse feed")
	case '=', '?', '%', 'U', 'T', 'c':
		if c == 'c' {
			return fixed(b, OpIgnored, 2, "ESC c (panel/sensor settings)")
		}
		return fixed(b, OpIgnored, 1, fmt.Sprintf("ESC %c", c))
	case '$', '\\':
		return fixed(b, OpIgnored, 2, "horizontal position")
	case 'L', 'S', 'F':
		return Command{Op: OpIgnored, Reason: "page mode not modelled"}, 2, 0
	case 'W':
		return fixed(b, OpIgnored, 8, "ESC W (print area in page mode)")
	case 'D':
		return terminated(b, OpIgnored, 2, "ESC D (tab positions)")
	case '*':
		if len(b) < 5 {
			return Command{}, 0, 0
		}
		n := int(b[3]) | int(b[4])<<8
		switch b[2] {
		case 0, 1:
		case 32, 33:
			n *= 3
		default:
			return unknown("ESC * with mode %d", b[2]), 3, 0
		}
		return p.payload(b, OpIgnored, 5, n, b[2:5], "ESC * (column bit image)")
	case '&':
		return p.parseUserChars(b)
	}
	return unknown("ESC %#02x", b[1]), 2, 0
}

// parseUserChars walks ESC & y c1 c2 [x d1...d(y*x)]... to its end.
func (p *Parser) parseUserChars(b []byte) (Command, int, int) {
	if len(b) < 5 {
		return Command{}, 0, 0
	}
	y, c1, c2 := int(b[2]), int(b[3]), int(b[4])
	if y < 1 || y > 3 || c1 < 32 || c2 > 126 || c1 > c2 {
		return unknown("ESC & with y=%d c1=%d c2=%d", y, c1, c2), 2, 0
	}
	i := 5
	for k := c1; k <= c2; k++ {
		if i >= len(b) {
			return Command{}, 0, 0
		}
		x := int(b[i])
		if x > 12 {
			return unknown("ESC & character width %d", x), 2, 0
		}
		i += 1 + y*x
		if i > len(b) {
			return Command{}, 0, 0
		}
	}
	return Command{Op: OpIgnored, Reason: "ESC & (user-defined characters) not modelled"}, i, 0
}

func (p *Parser) parseGS(b []byte) (Command, int, int) {
	if len(b) < 2 {
		return Command{}, 0, 0
	}
	switch c := b[1]; c {
	case '!':
		return fixed(b, OpSize, 1, "")
	case 'a':
		return fixed(b, OpASB, 1, "")
	case 'r':
		return fixed(b, OpTransmitStatus, 1, "")
	case 'I':
		return fixed(b, OpTransmitID, 1, "")
	case 'V':
		if len(b) < 3 {
			return Command{}, 0, 0
		}
		switch b[2] {
		case 0, 1, 48, 49:
			return fixed(b, OpCut, 1, "")
		case 65, 66, 97, 98, 103, 104:
			return fixed(b, OpCut, 2, "")
		}
		return unknown("GS V with function %d", b[2]), 3, 0
	case 'v':
		if len(b) < 8 {
			return Command{}, 0, 0
		}
		if b[2] != '0' {
			return unknown("GS v %#02x", b[2]), 3, 0
		}
		x := int(b[4]) | int(b[5])<<8
		y := int(b[6]) | int(b[7])<<8
		return p.payload(b, OpRaster, 8, x*y, b[3:8], "GS v 0")
	case 'k':
		if len(b) < 3 {
			return Command{}, 0, 0
		}
		m := b[2]
		switch {
		case m <= 6:
			return terminated(b, OpBarcode, 3, "GS k (format A)")
		case m >= 65 && m <= 79:
			if len(b) < 4 {
				return Command{}, 0, 0
			}
			return p.payload(b, OpBarcode, 4, int(b[3]), b[2:3], "GS k")
		}
		return unknown("GS k with type %d", m), 3, 0
	case '(':
		if len(b) < 5 {
			return Command{}, 0, 0
		}
		n := int(b[3]) | int(b[4])<<8
		if b[2] == 'k' {
			return p.payload(b, OpQR, 5, n, nil, "GS ( k")
		}
		return p.payload(b, OpIgnored, 5, n, b[2:3], fmt.Sprintf("GS ( %c", b[2]))
	case '8':
		if len(b) < 7 {
			return Command{}, 0, 0
		}
		if b[2] != 'L' {
			return unknown("GS 8 %#02x", b[2]), 3, 0
		}
		n := int(b[3]) | int(b[4])<<8 | int(b[5])<<16 | int(b[6])<<24
		return p.payload(b, OpIgnored, 7, n, nil, "GS 8 L (graphics)")
	case '*':
		if len(b) < 4 {
			return Command{}, 0, 0
		}
		return p.payload(b, OpIgnored, 4, int(b[2])*int(b[3])*8, b[2:4], "GS * (downloaded bit image)")
	case 'B', 'H', 'h', 'w', 'f', 'b', '/', 'T':
		return fixed(b, OpIgnored, 1, fmt.Sprintf("GS %c", c))
	case 'L', 'W', '$', '\\', 'P':
		return fixed(b, OpIgnored, 2, fmt.Sprintf("GS %c", c))
	case '^':
		return fixed(b, OpIgnored, 3, "GS ^ (macro)")
	case ':':
		return Command{Op: OpIgnored, Reason: "GS : (macro definition) not modelled"}, 2, 0
	}
	return unknown("GS %#02x", b[1]), 2, 0
}

func (p *Parser) parseFS(b []byte) (Command, int, int) {
	if len(b) < 2 {
		return Command{}, 0, 0
	}
	switch c := b[1]; c {
	case '&':
		return Command{Op: OpKanjiOn}, 2, 0
	case '.':
		return Command{Op: OpKanjiOff}, 2, 0
	case 'C', '!', '-', 'W':
		return fixed(b, OpIgnored, 1, fmt.Sprintf("FS %c (Kanji setting)", c))
	case 'S', 'p':
		return fixed(b, OpIgnored, 2, fmt.Sprintf("FS %c", c))
	case '(':
		if len(b) < 5 {
			return Command{}, 0, 0
		}
		n := int(b[3]) | int(b[4])<<8
		return p.payload(b, OpIgnored, 5, n, b[2:3], fmt.Sprintf("FS ( %c", b[2]))
	}
	return unknown("FS %#02x", b[1]), 2, 0
}

func (p *Parser) parseDLE(b []byte) (Command, int, int) {
	if len(b) < 2 {
		return Command{}, 0, 0
	}
	switch b[1] {
	case EOT:
		return fixed(b, OpRealTimeStatus, 1, "")
	case ENQ:
		return fixed(b, OpRealTimeRecover, 1, "")
	case DC4:
		if len(b) < 3 {
			return Command{}, 0, 0
		}
		switch b[2] {
		case 1, 2, 3:
			return fixed(b, OpRealTimeRequest, 3, "")
		case 7:
			return fixed(b, OpRealTimeRequest, 2, "")
		case 8:
			return fixed(b, OpRealTimeRequest, 8, "")
		}
		return unknown("DLE DC4 with function %d", b[2]), 3, 0
	}
	// A lone DLE is not a command; skip it and read on.
	return unknown("DLE followed by %#02x", b[1]), 1, 0
}

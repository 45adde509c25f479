package escpos

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnknownProfile is returned (wrapped) by LookupProfile for a name that is
// not built in.
var ErrUnknownProfile = errors.New("unknown printer profile")

// ErrInvalidProfile is returned (wrapped) by Profile.Validate.
var ErrInvalidProfile = errors.New("invalid printer profile")

// CodePage is one character table a printer can switch to with ESC t.
type CodePage struct {
	Number byte   // the n of ESC t n on this model
	Name   string // a name known to this package: cp437, cp850, cp852, cp858, cp860, cp863, cp865, cp866, cp1252, iso8859-15
}

// Profile describes what one printer model can do. The encoder, the receipt
// layout and the simulator all read the same profile, so a preview has the
// columns the paper has.
type Profile struct {
	Name    string // lookup key, e.g. "epson-tm-t88vi"
	Model   string // human name
	PaperMM int    // roll width
	Dots    int    // printable width in dots
	DPI     int
	Columns int // Font A characters per line (12 dots wide each)

	NativeQR       bool       // understands GS ( k QR
	CodePages      []CodePage // in order of preference; the first is selected at init
	CJK            bool       // Chinese/Japanese firmware with a double-byte mode (FS &)
	CJKEncoding    string     // "gb18030" or "shift_jis" when CJK
	ASB            bool       // sends Automatic Status Back when GS a enables it
	TransmitStatus bool       // answers GS r (the "printed" confirmation)
	PartialCut     bool       // the cutter can leave a hinge; otherwise full cut
	MaxStripRows   int        // rows per GS v 0 strip; smaller for small receive buffers
}

// Font A geometry shared by every profile here: 12x24 dots. Double-byte
// (CJK) characters are 24x24.
const (
	FontAWidth  = 12
	FontAHeight = 24
	// DefaultLineSpacing is ESC 2: 1/6 inch on a 180/203 dpi head, in dots.
	DefaultLineSpacing = 30
)

var builtinProfiles = []Profile{
	{
		Name: "generic-58mm", Model: "Generic 58 mm ESC/POS printer",
		PaperMM: 58, Dots: 384, DPI: 203, Columns: 32,
		// Cheap 58 mm printers often lack GS ( k: QR codes go out as raster.
		NativeQR:  false,
		CodePages: []CodePage{{0, "cp437"}},
		// Many cannot report status at all; those that can answer DLE EOT.
		TransmitStatus: true,
		MaxStripRows:   64,
	},
	{
		Name: "generic-80mm", Model: "Generic 80 mm ESC/POS printer",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		NativeQR:       true,
		CodePages:      []CodePage{{0, "cp437"}, {2, "cp850"}, {16, "cp1252"}, {19, "cp858"}},
		TransmitStatus: true, PartialCut: true,
		MaxStripRows: 128,
	},
	{
		Name: "epson-tm-t88vi", Model: "Epson TM-T88VI",
		PaperMM: 80, Dots: 512, DPI: 180, Columns: 42,
		NativeQR: true,
		CodePages: []CodePage{{0, "cp437"}, {2, "cp850"}, {16, "cp1252"}, {19, "cp858"},
			{18, "cp852"}, {17, "cp866"}, {3, "cp860"}, {4, "cp863"}, {5, "cp865"}, {40, "iso8859-15"}},
		ASB: true, TransmitStatus: true, PartialCut: true,
		MaxStripRows: 256,
	},
	{
		Name: "epson-tm-t20iii", Model: "Epson TM-T20III",
		PaperMM: 80, Dots: 576, DPI: 203, Columns: 48,
		NativeQR: true,
		CodePages: []CodePage{{0, "cp437"}, {2, "cp850"}, {16, "cp1252"}, {19, "cp858"},
			{18, "cp852"}, {17, "cp866"}, {3, "cp860"}, {4, "cp863"}, {5, "cp865"}},
		ASB: true, TransmitStatus: true, PartialCut: true,
		MaxStripRows: 256,
	},
	{
		Name: "xprinter-xp-58", Model: "Xprinter XP-58 (Chinese firmware)",
		PaperMM: 58, Dots: 384, DPI: 203, Columns: 32,
		// The common XP-58 firmware has no GS ( k; raster QR it is.
		NativeQR:  false,
		CodePages: []CodePage{{0, "cp437"}, {2, "cp850"}, {16, "cp1252"}, {17, "cp866"}},
		CJK:       true, CJKEncoding: "gb18030",
		TransmitStatus: true,
		MaxStripRows:   32,
	},
}

// Profiles returns the built-in profiles, sorted by name.
func Profiles() []Profile {
	out := make([]Profile, len(builtinProfiles))
	copy(out, builtinProfiles)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ProfileNames returns the names LookupProfile accepts.
func ProfileNames() []string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return names
}

// LookupProfile returns the built-in profile with that name (case does not
// matter). An empty name gives generic-80mm.
func LookupProfile(name string) (Profile, error) {
	if name == "" {
		name = "generic-80mm"
	}
	for _, p := range builtinProfiles {
		if strings.EqualFold(p.Name, name) {
			p.CodePages = append([]CodePage(nil), p.CodePages...)
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("escpos: %w %q (known: %s)", ErrUnknownProfile, name, strings.Join(ProfileNames(), ", "))
}

// Validate checks that a profile, built in or written by hand, is usable.
func (p Profile) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("escpos: profile %q: %w: %s", p.Name, ErrInvalidProfile, fmt.Sprintf(format, args...))
	}
	switch {
	case p.Dots < 8*FontAWidth || p.Dots > 4096:
		return bad("dots %d out of range %d..4096", p.Dots, 8*FontAWidth)
	case p.Columns < 8 || p.Columns*FontAWidth > p.Dots:
		return bad("columns %d do not fit %d dots of 12-dot characters", p.Columns, p.Dots)
	case len(p.CodePages) == 0:
		return bad("no code pages")
	case p.MaxStripRows < 8 || p.MaxStripRows > 4095:
		return bad("max strip rows %d out of range 8..4095", p.MaxStripRows)
	}
	for _, cp := range p.CodePages {
		if _, ok := charmaps[cp.Name]; !ok {
			return bad("code page %q not supported (known: %s)", cp.Name, strings.Join(CodePageNames(), ", "))
		}
	}
	if p.CJK {
		if _, ok := cjkEncodings[p.CJKEncoding]; !ok {
			return bad("CJK encoding %q not supported (gb18030, shift_jis)", p.CJKEncoding)
		}
	}
	return nil
}

// CodePageByNumber returns the profile's code page selected by ESC t n.
func (p Profile) CodePageByNumber(n byte) (CodePage, bool) {
	for _, cp := range p.CodePages {
		if cp.Number == n {
			return cp, true
		}
	}
	return CodePage{}, false
}

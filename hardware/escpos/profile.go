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
	Name   string // a name known to this package (CodePageNames), e.g. cp858, cp1250, iso8859-2
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
	Cutter         bool       // has an autocutter; without one no GS V is sent
	PartialCut     bool       // the cutter can leave a hinge; otherwise full cut
	Drawer         bool       // has a cash drawer port (ESC p)
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

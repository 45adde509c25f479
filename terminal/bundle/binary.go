package bundle

import (
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
)

// MaxBinarySize is the most a posagent binary may weigh: POS boxes ship with small flash and updates
// travel over shop networks. 12 MB in decimal megabytes, the stricter reading of the budget.
const MaxBinarySize = 12_000_000

// BinaryInfo is what Inspect learns about a Go executable.
type BinaryInfo struct {
	Size        int64
	Target      Target
	CGO         bool   // built with CGO_ENABLED=1
	Interpreter string // PT_INTERP, empty for a static binary
	Dynamic     bool   // has a PT_DYNAMIC segment or a .dynamic section
	Machine     elf.Machine
}

// Static reports whether the binary runs without a dynamic loader or shared libraries.
func (b BinaryInfo) Static() bool { return b.Interpreter == "" && !b.Dynamic }

// Inspect reads an ELF Go executable's target from its embedded build information and whether it is
// statically linked from its program headers.
func Inspect(path string) (BinaryInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("release: %w", err)
	}
	info := BinaryInfo{Size: st.Size()}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("release: %s is not a Go executable: %w", path, err)
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			info.Target.OS = s.Value
		case "GOARCH":
			info.Target.Arch = s.Value
		case "GOARM":
			// Go 1.22+ may append ",softfloat" or ",hardfloat"; the level is the first digit.
			if len(s.Value) > 0 {
				info.Target.ARM = s.Value[:1]
			}
		case "CGO_ENABLED":
			info.CGO = s.Value == "1"
		}
	}
	if info.Target.Arch != "arm" {
		info.Target.ARM = ""
	}
	if err := inspectELF(path, &info); err != nil {
		return BinaryInfo{}, err
	}
	return info, nil
}

// inspectELF fills in what the program headers say: machine, interpreter, dynamic section.
func inspectELF(path string, info *BinaryInfo) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("release: %s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	info.Machine = f.Machine
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			b := make([]byte, min(p.Filesz, 4096))
			if _, err := p.ReadAt(b, 0); err == nil {
				info.Interpreter = string(trimNUL(b))
			} else {
				info.Interpreter = "(unreadable)"
			}
		case elf.PT_DYNAMIC:
			info.Dynamic = true
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		info.Dynamic = true
	}
	return nil
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// CheckShippable refuses a binary that a bundle must not carry: dynamically linked (it would not start
// on a POS box without the same libc) or over MaxBinarySize.
func CheckShippable(info BinaryInfo) error {
	if !info.Static() {
		return fmt.Errorf("release: binary is dynamically linked (interpreter %q): build it with CGO_ENABLED=0 (make cross)", info.Interpreter)
	}
	if info.Size > MaxBinarySize {
		return fmt.Errorf("release: binary is %d bytes, over the %d byte budget: build with -trimpath -ldflags \"-s -w\" (make cross)", info.Size, MaxBinarySize)
	}
	if info.Target.OS == "" || info.Target.Arch == "" {
		return fmt.Errorf("release: binary has no GOOS/GOARCH in its build information")
	}
	return nil
}

package bundle

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Names of the files every bundle holds.
const (
	ManifestName  = "MANIFEST"
	SumsName      = "SHA256SUMS"
	SignatureName = "SHA256SUMS.sig"
	BinaryName    = "posagent"
)

// FormatVersion is the bundle layout described in this package. A terminal refuses a newer one.
const FormatVersion = 1

// Product is the only product a posagent bundle may carry.
const Product = "posagent"

// Bounds on what Open reads. The agent binary is at most 12 MB (a test holds it to that); the bounds
// leave room without letting a hostile bundle exhaust a POS box's memory.
const (
	MaxFiles         = 64
	MaxFileSize      = 48 << 20
	MaxUncompressed  = 96 << 20
	MaxManifestSize  = 4 << 10
	MaxSumsSize      = 16 << 10
	MaxSignatureSize = 1 << 10
	maxNameLen       = 128
)

// Manifest says what a bundle carries and for which machine. It is covered by SHA256SUMS and so by
// the signature.
type Manifest struct {
	Format  int    `json:"format"`
	Product string `json:"product"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Target  Target `json:"target"`
	Created string `json:"created,omitempty"` // RFC 3339, informational
}

// Target is an operating system and CPU architecture, with the ARM level for 32-bit ARM.
type Target struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
	ARM  string `json:"arm,omitempty"` // GOARM, e.g. "7"; empty unless Arch is "arm"
}

// String names the target the way bundle file names do: linux-armv7, linux-arm64, linux-amd64.
func (t Target) String() string {
	s := t.OS + "-" + t.Arch
	if t.Arch == "arm" && t.ARM != "" {
		s += "v" + t.ARM
	}
	return s
}

var versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$`)
var wordPattern = regexp.MustCompile(`^[a-z0-9]{1,16}$`)
var commitPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{0,64}$`)
var armPattern = regexp.MustCompile(`^[5-7]$`)

// Validate checks the fields a terminal relies on.
func (m Manifest) Validate() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("%w: bundle format %d, this posagent reads format %d (update in two steps, or use a newer posagent)", ErrMalformed, m.Format, FormatVersion)
	case m.Product != Product:
		return fmt.Errorf("%w: bundle carries %q, not %s", ErrMalformed, m.Product, Product)
	case !versionPattern.MatchString(m.Version):
		return fmt.Errorf("%w: version %q is not a release version", ErrMalformed, m.Version)
	case !commitPattern.MatchString(m.Commit):
		return fmt.Errorf("%w: commit %q", ErrMalformed, m.Commit)
	case !wordPattern.MatchString(m.Target.OS) || !wordPattern.MatchString(m.Target.Arch):
		return fmt.Errorf("%w: target %q", ErrMalformed, m.Target)
	case m.Target.ARM != "" && (m.Target.Arch != "arm" || !armPattern.MatchString(m.Target.ARM)):
		return fmt.Errorf("%w: GOARM %q for %s", ErrMalformed, m.Target.ARM, m.Target.Arch)
	}
	return nil
}

// FileName is the conventional name of the bundle file: posagent-VERSION-TARGET.tar.gz.
func (m Manifest) FileName() string {
	return Product + "-" + m.Version + "-" + m.Target.String() + ".tar.gz"
}

func (m Manifest) encode() []byte {
	b, _ := json.MarshalIndent(m, "", "  ") // a struct of strings and ints cannot fail to marshal
	return append(b, '\n')
}

func decodeManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %s: %v", ErrMalformed, ManifestName, err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

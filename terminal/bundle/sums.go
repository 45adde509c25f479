package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// formatSums renders SHA256SUMS in the format of `sha256sum` (hash, two spaces, name), sorted by name,
// so that a technician can also check an unpacked bundle with `sha256sum -c SHA256SUMS`.
func formatSums(files map[string][]byte) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), n)
	}
	return b.Bytes()
}

// parseSums reads SHA256SUMS into name -> digest. It accepts only what formatSums writes (plus the
// "*" binary-mode marker of sha256sum -b), one file per line, no duplicates.
func parseSums(b []byte) (map[string][sha256.Size]byte, error) {
	if len(b) > MaxSumsSize {
		return nil, malformed("%s is %d bytes, over %d", SumsName, len(b), MaxSumsSize)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, malformed("%s does not end with a newline", SumsName)
	}
	out := map[string][sha256.Size]byte{}
	for i, line := range strings.Split(string(b[:len(b)-1]), "\n") {
		hexSum, name, ok := strings.Cut(line, "  ")
		if !ok {
			hexSum, name, ok = strings.Cut(line, " *")
		}
		if !ok || len(hexSum) != 2*sha256.Size {
			return nil, malformed("%s line %d is not \"SHA256  NAME\"", SumsName, i+1)
		}
		raw, err := hex.DecodeString(hexSum)
		if err != nil || strings.ToLower(hexSum) != hexSum {
			return nil, malformed("%s line %d: checksum is not lower-case hex", SumsName, i+1)
		}
		if err := checkName(name); err != nil {
			return nil, malformed("%s line %d: %v", SumsName, i+1, err)
		}
		if name == SumsName || name == SignatureName {
			return nil, malformed("%s line %d lists %s", SumsName, i+1, name)
		}
		if _, dup := out[name]; dup {
			return nil, malformed("%s lists %s twice", SumsName, name)
		}
		if len(out) >= MaxFiles {
			return nil, malformed("%s lists more than %d files", SumsName, MaxFiles)
		}
		out[name] = [sha256.Size]byte(raw)
	}
	return out, nil
}

// checkName allows the flat, plain file names a bundle uses: no directories, no dot files, no
// control characters, nothing a shell or tar would treat specially.
func checkName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("file name %q must be 1..%d characters", name, maxNameLen)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("file name %q starts with %q", name, name[0])
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-+", r)
		if !ok {
			return fmt.Errorf("file name %q has character %q", name, r)
		}
	}
	return nil
}

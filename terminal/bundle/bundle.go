package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"
)

// File is one file of a bundle.
type File struct {
	Mode fs.FileMode // permission bits the file is packed with (0755 for programs, 0644 otherwise)
	Data []byte
}

// Bundle is a bundle whose signature and checksums have been verified.
type Bundle struct {
	Manifest Manifest
	KeyID    string // the trusted key that verified the signature
	files    map[string]File
}

// File returns a verified file of the bundle by name.
func (b *Bundle) File(name string) (File, bool) {
	f, ok := b.files[name]
	return f, ok
}

// Names lists the bundle's files, sorted.
func (b *Bundle) Names() []string {
	names := make([]string, 0, len(b.files))
	for n := range b.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OpenFile reads and verifies the bundle at path. See Open.
func OpenFile(path string, trusted []ed25519.PublicKey) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("release: no bundle at %s: %w", path, err)
		}
		return nil, fmt.Errorf("release: %w", err)
	}
	defer f.Close()
	b, err := Open(f, trusted)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", path, err)
	}
	return b, nil
}

// Open reads a bundle from r and verifies it: the signature over SHA256SUMS against the trusted keys,
// then every file against SHA256SUMS (no file missing, none unlisted), then the MANIFEST. It returns a
// Bundle only when all of that holds; nothing from the archive is used before.
func Open(r io.Reader, trusted []ed25519.PublicKey) (*Bundle, error) {
	files, err := readArchive(r)
	if err != nil {
		return nil, err
	}
	sums, ok1 := files[SumsName]
	sig, ok2 := files[SignatureName]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: it has no %s or no %s", ErrUnsigned, SumsName, SignatureName)
	}
	keyID, err := verifySignature(sig.Data, sums.Data, trusted)
	if err != nil {
		return nil, err
	}
	listed, err := parseSums(sums.Data)
	if err != nil {
		return nil, err
	}
	for name, want := range listed {
		f, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s is listed in %s but missing from the bundle", ErrChecksum, name, SumsName)
		}
		if sha256.Sum256(f.Data) != want {
			return nil, fmt.Errorf("%w: %s does not match %s", ErrChecksum, name, SumsName)
		}
	}
	for name := range files {
		if _, ok := listed[name]; !ok && name != SumsName && name != SignatureName {
			return nil, fmt.Errorf("%w: %s is not listed in %s (added after signing)", ErrChecksum, name, SumsName)
		}
	}
	m, ok := files[ManifestName]
	if !ok {
		return nil, malformed("no %s", ManifestName)
	}
	if len(m.Data) > MaxManifestSize {
		return nil, malformed("%s is %d bytes", ManifestName, len(m.Data))
	}
	manifest, err := decodeManifest(m.Data)
	if err != nil {
		return nil, err
	}
	if _, ok := files[BinaryName]; !ok {
		return nil, malformed("no %s binary", BinaryName)
	}
	return &Bundle{Manifest: manifest, KeyID: keyID, files: files}, nil
}

// archiveSlack covers tar headers and padding on top of the file contents when bounding decompression.
const archiveSlack = (MaxFiles + 2) * 3 * 512

// readArchive unpacks a bundle's tar.gz into memory, refusing anything but one top-level directory of
// plain, regular files within the size bounds.
func readArchive(r io.Reader) (map[string]File, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, malformed("not gzip: %v", err)
	}
	defer gz.Close()
	tr := tar.NewReader(io.LimitReader(gz, MaxUncompressed+archiveSlack))
	files := map[string]File{}
	top := ""
	var total int64
	for entries := 0; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed("reading tar: %v", err)
		}
		if entries > MaxFiles {
			return nil, malformed("more than %d entries", MaxFiles)
		}
		dir, name, _ := strings.Cut(strings.TrimSuffix(hdr.Name, "/"), "/")
		if err := checkName(dir); err != nil {
			return nil, malformed("entry %q: %v", hdr.Name, err)
		}
		if top == "" {
			top = dir
		} else if dir != top {
			return nil, malformed("entry %q is outside the bundle directory %s/", hdr.Name, top)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if name != "" {
				return nil, malformed("entry %q: subdirectories are not part of a bundle", hdr.Name)
			}
			continue
		case tar.TypeReg:
		default:
			return nil, malformed("entry %q is not a regular file (type %q)", hdr.Name, hdr.Typeflag)
		}
		if err := checkName(name); err != nil {
			return nil, malformed("entry %q: %v", hdr.Name, err)
		}
		if _, dup := files[name]; dup {
			return nil, malformed("%s appears twice", name)
		}
		if hdr.Size < 0 || hdr.Size > MaxFileSize {
			return nil, malformed("%s is %d bytes, over %d", name, hdr.Size, MaxFileSize)
		}
		if total += hdr.Size; total > MaxUncompressed {
			return nil, malformed("more than %d bytes uncompressed", MaxUncompressed)
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, malformed("reading %s: %v", name, err)
		}
		files[name] = File{Mode: fs.FileMode(hdr.Mode) & fs.ModePerm, Data: data}
	}
	if len(files) == 0 {
		return nil, malformed("empty archive")
	}
	return files, nil
}

// Build writes a signed bundle of files to w: it adds MANIFEST, SHA256SUMS over every file and
// SHA256SUMS.sig made with key. The archive is reproducible: entries are sorted, owned by root and
// stamped with the manifest's Created time.
func Build(w io.Writer, m Manifest, files map[string]File, key ed25519.PrivateKey) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: signing key has %d bytes", ErrBadKey, len(key))
	}
	if _, ok := files[BinaryName]; !ok {
		return fmt.Errorf("release: a bundle needs the %s binary", BinaryName)
	}
	all := map[string]File{ManifestName: {Mode: 0o644, Data: m.encode()}}
	for name, f := range files {
		if err := checkName(name); err != nil {
			return fmt.Errorf("release: %w", err)
		}
		if name == ManifestName || name == SumsName || name == SignatureName {
			return fmt.Errorf("release: %s is written by Build", name)
		}
		if len(f.Data) > MaxFileSize {
			return fmt.Errorf("release: %s is %d bytes, over %d", name, len(f.Data), MaxFileSize)
		}
		all[name] = f
	}
	if len(all)+2 > MaxFiles {
		return fmt.Errorf("release: %d files, over %d", len(all)+2, MaxFiles)
	}
	contents := map[string][]byte{}
	for n, f := range all {
		contents[n] = f.Data
	}
	sums := formatSums(contents)
	all[SumsName] = File{Mode: 0o644, Data: sums}
	all[SignatureName] = File{Mode: 0o644, Data: sign(key, sums)}

	mtime := time.Unix(0, 0).UTC()
	if t, err := time.Parse(time.RFC3339, m.Created); err == nil {
		mtime = t.UTC()
	}
	top := strings.TrimSuffix(m.FileName(), ".tar.gz")
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is a valid constant
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: top + "/", Mode: 0o755, ModTime: mtime, Uname: "root", Gname: "root"}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := all[n]
		mode := f.Mode & fs.ModePerm
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: top + "/" + n, Mode: int64(mode), Size: int64(len(f.Data)),
			ModTime: mtime, Uname: "root", Gname: "root"}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("release: %s: %w", n, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("release: %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

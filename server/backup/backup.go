package backup

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Names inside the archive, the same as in a data directory.
const (
	StoreFile = "stillpay.db"
	SealKey   = "seal.key"
	// VAPIDKey is the Web Push key (server/push.VAPIDKeyFile), present only on a server started with
	// --push-contact: browsers subscribed with its public half, so a restore must bring it back.
	VAPIDKey = "vapid.key"
	KeysDir  = "keys"
	manifest = KeysDir + "/manifest.json"
	// endMark is the archive's last entry, empty: tar readers accept an archive cut short at an
	// entry boundary, so Verify wants to see this one last.
	endMark = "COMPLETE"
)

// maxKeyFile bounds a key file or manifest read from an archive.
const maxKeyFile = 1 << 20

// keyFileName is what a file in keys/ may be called: nothing that could leave the directory.
var keyFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Errors. Test with errors.Is.
var (
	// ErrArchive: the archive is damaged, truncated, or holds something a backup never holds.
	ErrArchive = errors.New("backup: not a complete settlementd backup")
	// ErrNotEmpty: restore refuses a directory that already holds files.
	ErrNotEmpty = errors.New("backup: the restore directory is not empty")
)

// Snapshotter is the embedded store (boltstore.Store).
type Snapshotter interface {
	WriteBackupSized(ctx context.Context, start func(size int64) (io.Writer, error)) (int64, error)
}

// Write writes the archive of the store st serving from dataDir to w.
func Write(ctx context.Context, w io.Writer, st Snapshotter, dataDir string) error {
	tw := tar.NewWriter(w)
	now := time.Now().UTC()
	_, err := st.WriteBackupSized(ctx, func(size int64) (io.Writer, error) {
		return tw, tw.WriteHeader(header(StoreFile, size, now))
	})
	if err != nil {
		return fmt.Errorf("backup: store: %w", err)
	}
	names := []string{SealKey}
	if _, err := os.Stat(filepath.Join(dataDir, VAPIDKey)); err == nil {
		names = append(names, VAPIDKey)
	}
	entries, err := os.ReadDir(filepath.Join(dataDir, KeysDir))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && keyFileName.MatchString(e.Name()) {
			names = append(names, KeysDir+"/"+e.Name())
		}
	}
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(dataDir, filepath.FromSlash(name)))
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if err := tw.WriteHeader(header(name, int64(len(raw)), now)); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if _, err := tw.Write(raw); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if err := tw.WriteHeader(header(endMark, 0, now)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func header(name string, size int64, at time.Time) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: at, Format: tar.FormatPAX}
}

// Verify reads the whole archive and fails with ErrArchive unless it is complete: the store copy,
// the seal key and the key manifest, nothing else but key files, and the end mark last.
func Verify(r io.Reader) error {
	return walk(r, func(string, *tar.Reader) error { return nil })
}

// Restore unpacks the archive into dir, which must be missing or empty; files are 0600 in 0700
// directories and fsync'd. On failure dir is removed again if Restore created it, else emptied.
func Restore(r io.Reader, dir string) (err error) {
	entries, rerr := os.ReadDir(dir)
	switch {
	case errors.Is(rerr, fs.ErrNotExist):
	case rerr != nil:
		return fmt.Errorf("backup: %w", rerr)
	case len(entries) > 0:
		return fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, KeysDir), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			left, _ := os.ReadDir(dir)
			for _, e := range left {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}()
	err = walk(r, func(name string, tr *tar.Reader) error {
		if name == endMark {
			return nil
		}
		return writeFile(filepath.Join(dir, filepath.FromSlash(name)), tr)
	})
	if err != nil {
		return err
	}
	for _, d := range []string{filepath.Join(dir, KeysDir), dir} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}

// walk calls fn for every entry after checking its name, and checks the archive is complete.
func walk(r io.Reader, fn func(name string, tr *tar.Reader) error) error {
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrArchive, err)
		}
		if seen[endMark] {
			return fmt.Errorf("%w: %s after the end mark", ErrArchive, h.Name)
		}
		if err := checkEntry(h, seen); err != nil {
			return err
		}
		seen[h.Name] = true
		if err := fn(h.Name, tr); err != nil {
			return err
		}
		// Read what fn left, so a truncated entry is noticed here.
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrArchive, h.Name, err)
		}
	}
	for _, need := range []string{StoreFile, SealKey, manifest, endMark} {
		if !seen[need] {
			return fmt.Errorf("%w: %s is missing", ErrArchive, need)
		}
	}
	return nil
}

// checkEntry accepts only what Write writes: regular files named stillpay.db, seal.key, vapid.key
// or keys/NAME, each once, key files of a sane size.
func checkEntry(h *tar.Header, seen map[string]bool) error {
	if h.Typeflag != tar.TypeReg {
		return fmt.Errorf("%w: %s is not a regular file", ErrArchive, h.Name)
	}
	if seen[h.Name] {
		return fmt.Errorf("%w: %s twice", ErrArchive, h.Name)
	}
	dir, base := filepath.Split(filepath.FromSlash(h.Name))
	switch {
	case h.Name == StoreFile, h.Name == endMark && h.Size == 0:
		return nil
	case h.Name == SealKey, h.Name == VAPIDKey, dir == KeysDir+string(filepath.Separator) && keyFileName.MatchString(base):
		if h.Size > maxKeyFile {
			return fmt.Errorf("%w: %s is %d bytes", ErrArchive, h.Name, h.Size)
		}
		return nil
	}
	return fmt.Errorf("%w: unexpected entry %q", ErrArchive, h.Name)
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %v", ErrArchive, filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

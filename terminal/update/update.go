package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// PreviousSuffix names the kept binary: /opt/stillpay/bin/posagent.prev.
const PreviousSuffix = ".prev"

// Options configures Apply, Check and Rollback.
type Options struct {
	// Binary is the installed binary to replace. Empty means this executable, symlinks resolved.
	Binary string
	// Trusted are the release public keys a bundle must be signed with.
	Trusted []ed25519.PublicKey
	// Target is the machine the bundle must fit. Zero means CurrentTarget().
	Target bundle.Target
	// SelfTest runs the new binary before the swap. Nil means ExecSelfTest.
	SelfTest SelfTester
	Logger   *slog.Logger
}

func (o *Options) defaults() error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SelfTest == nil {
		o.SelfTest = ExecSelfTest{}
	}
	if o.Target == (bundle.Target{}) {
		o.Target = CurrentTarget()
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("update: cannot find this binary: %w; pass --binary", err)
		}
		o.Binary = exe
	}
	resolved, err := filepath.EvalSymlinks(o.Binary)
	if err != nil {
		return fmt.Errorf("update: binary %s: %w", o.Binary, err)
	}
	o.Binary = resolved
	return nil
}

// Result says what Apply or Rollback did.
type Result struct {
	Binary    string // the path now holding the active binary
	Previous  string // the path holding the binary it replaced
	Version   string // the bundle's version (Apply)
	Target    string
	KeyID     string // the release key that signed the bundle (Apply)
	Unchanged bool   // the bundle's binary was already installed; nothing was touched
	SelfTest  string // what the now-active binary printed for `version`
}

// Check verifies a bundle (signature, sums, manifest) and that it fits this machine, changing
// nothing.
func Check(ctx context.Context, bundlePath string, opts Options) (*bundle.Bundle, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.Target == (bundle.Target{}) {
		opts.Target = CurrentTarget()
	}
	b, err := bundle.OpenFile(bundlePath, opts.Trusted)
	if err != nil {
		return nil, err
	}
	if !compatible(b.Manifest.Target, opts.Target) {
		return nil, fmt.Errorf("%w: %s is built for %s, this terminal is %s", ErrWrongTarget, bundlePath, b.Manifest.Target, opts.Target)
	}
	return b, nil
}

// Apply verifies the bundle, proves its binary runs here, keeps the installed binary as
// Binary+".prev" and renames the new one into place. On any error the installed binary is untouched.
func Apply(ctx context.Context, bundlePath string, opts Options) (Result, error) {
	if err := opts.defaults(); err != nil {
		return Result{}, err
	}
	b, err := Check(ctx, bundlePath, opts)
	if err != nil {
		return Result{}, err
	}
	newBin, _ := b.File(bundle.BinaryName) // Open guarantees it is there
	res := Result{Binary: opts.Binary, Previous: opts.Binary + PreviousSuffix, Version: b.Manifest.Version,
		Target: b.Manifest.Target.String(), KeyID: b.KeyID}
	log := opts.Logger.With("binary", opts.Binary, "bundle", bundlePath, "version", b.Manifest.Version)

	dir := filepath.Dir(opts.Binary)
	unlock, err := lockDir(dir)
	if err != nil {
		return Result{}, err
	}
	defer unlock()

	if cur, err := os.ReadFile(opts.Binary); err == nil && bytes.Equal(cur, newBin.Data) {
		res.Unchanged = true
		log.Info("bundle binary already installed")
		return res, nil
	}

	staged := filepath.Join(dir, ".posagent.new")
	if err := writeFileSync(staged, newBin.Data, 0o755); err != nil {
		return Result{}, err
	}
	defer os.Remove(staged) // no-op once renamed into place
	out, err := opts.SelfTest.SelfTest(ctx, staged)
	if err != nil {
		return Result{}, err
	}
	res.SelfTest = out

	if err := keepPrevious(opts.Binary, res.Previous); err != nil {
		return Result{}, err
	}
	if err := os.Rename(staged, opts.Binary); err != nil {
		return Result{}, classify(err)
	}
	if err := syncDir(dir); err != nil {
		return Result{}, err
	}
	log.Info("binary replaced", "previous", res.Previous, "key_id", b.KeyID)
	return res, nil
}

// Rollback swaps the installed binary and Binary+".prev", after proving the previous one runs. Run
// it twice to go forward again.
func Rollback(ctx context.Context, opts Options) (Result, error) {
	if err := opts.defaults(); err != nil {
		return Result{}, err
	}
	prev := opts.Binary + PreviousSuffix
	dir := filepath.Dir(opts.Binary)
	unlock, err := lockDir(dir)
	if err != nil {
		return Result{}, err
	}
	defer unlock()

	swap := filepath.Join(dir, ".posagent.swap")
	if _, err := os.Stat(prev); errors.Is(err, fs.ErrNotExist) {
		// A rollback cut short after its first rename left the replaced binary in swap.
		if _, serr := os.Stat(swap); serr == nil {
			if err := os.Rename(swap, prev); err != nil {
				return Result{}, classify(err)
			}
		} else {
			return Result{}, fmt.Errorf("%w: %s does not exist", ErrNoPrevious, prev)
		}
	}
	os.Remove(swap)
	out, err := opts.SelfTest.SelfTest(ctx, prev)
	if err != nil {
		return Result{}, err
	}
	if err := linkOrCopy(opts.Binary, swap); err != nil {
		return Result{}, err
	}
	if err := os.Rename(prev, opts.Binary); err != nil {
		return Result{}, classify(err)
	}
	if err := os.Rename(swap, prev); err != nil {
		return Result{}, classify(err)
	}
	if err := syncDir(dir); err != nil {
		return Result{}, err
	}
	opts.Logger.Info("rolled back", "binary", opts.Binary, "previous", prev)
	return Result{Binary: opts.Binary, Previous: prev, SelfTest: out}, nil
}

// keepPrevious makes prev a copy of bin (a hard link when the file system allows), replacing any
// older prev atomically.
func keepPrevious(bin, prev string) error {
	tmp := filepath.Join(filepath.Dir(bin), ".posagent.prev.new")
	os.Remove(tmp)
	if err := linkOrCopy(bin, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, prev); err != nil {
		os.Remove(tmp)
		return classify(err)
	}
	return nil
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	f, err := os.Open(src)
	if err != nil {
		return classify(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("update: read %s: %w", src, err)
	}
	return writeFileSync(dst, data, 0o755)
}

// writeFileSync writes data to path (replacing it) and fsyncs it before returning.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return classify(err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("update: write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil { // the umask may have narrowed the create mode
		f.Close()
		os.Remove(path)
		return classify(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("update: fsync %s: %w", path, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return classify(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("update: fsync %s: %w", dir, err)
	}
	return nil
}

// classify marks the errors a technician fixes by running as root.
func classify(err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return fmt.Errorf("update: %w", err)
}

package imaging

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stillpay/stillpay/hardware/scanner"
)

// Camera yields frames. A real camera driver (V4L2) or the FileCamera
// simulator sits behind it.
type Camera interface {
	// Capture returns the next frame; io.EOF means the camera has no more
	// frames (a simulator at the end of its list).
	Capture(ctx context.Context) (image.Image, error)
	Close() error
}

// Source-level tuning for cameras.
const (
	// repeatHoldoff: a camera sees the same code in many consecutive
	// frames; the same text is reported again only after it has been out of
	// view for this long, so one presentation is one scan.
	repeatHoldoff = 2 * time.Second
	// maxCameraErrors in a row close the source instead of spinning.
	maxCameraErrors = 10
	// cameraErrorPause is the wait after a failed capture before retrying.
	cameraErrorPause = 100 * time.Millisecond
)

// CameraSource decodes QR codes from a Camera and implements scanner.Source.
type CameraSource struct {
	cam  Camera
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	state     scanner.State
	last      string
	lastSeen  time.Time
	errsInRow int
	now       func() time.Time
}

var _ scanner.Source = (*CameraSource)(nil)

// NewCameraSource wraps cam. log may be nil.
func NewCameraSource(cam Camera, opts Options, log *slog.Logger) *CameraSource {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CameraSource{cam: cam, opts: opts, log: log, state: scanner.Connected, now: time.Now}
}

// Next captures frames until one holds a QR code that was not just
// reported. Frames without a code are skipped; they are the normal case for
// a camera pointed at a counter.
func (s *CameraSource) Next(ctx context.Context) (scanner.Frame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return scanner.Frame{}, err
		}
		if s.State() == scanner.Closed {
			return scanner.Frame{}, scanner.ErrClosed
		}
		img, err := s.cam.Capture(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return scanner.Frame{}, err
			}
			if s.captureFailed(err) {
				return scanner.Frame{}, fmt.Errorf("imaging: camera failed %d times in a row: %w", maxCameraErrors, err)
			}
			pause(ctx, cameraErrorPause)
			continue
		}
		s.captureOK()
		res, err := Decode(img, s.opts)
		now := s.now()
		if err != nil {
			s.log.Debug("camera frame without code", "reason", err.Error())
			continue
		}
		if s.isRepeat(res.Text, now) {
			continue
		}
		return scanner.Frame{Data: []byte(res.Text), Symbology: res.Symbology, At: now}, nil
	}
}

// isRepeat reports whether text is the code already reported and still in
// view, and records the sighting.
func (s *CameraSource) isRepeat(text string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	repeat := text == s.last && now.Sub(s.lastSeen) < repeatHoldoff
	s.last, s.lastSeen = text, now
	return repeat
}

func (s *CameraSource) captureFailed(err error) (giveUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errsInRow++
	s.state = scanner.Reconnecting
	s.log.Warn("camera capture failed", "err", err, "in_a_row", s.errsInRow)
	return s.errsInRow >= maxCameraErrors
}

func (s *CameraSource) captureOK() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errsInRow = 0
	if s.state != scanner.Closed {
		s.state = scanner.Connected
	}
}

// State reports Connected, Reconnecting after failed captures, or Closed.
func (s *CameraSource) State() scanner.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Close closes the camera.
func (s *CameraSource) Close() error {
	s.mu.Lock()
	if s.state == scanner.Closed {
		s.mu.Unlock()
		return nil
	}
	s.state = scanner.Closed
	s.mu.Unlock()
	return s.cam.Close()
}

// FileCamera is a simulated camera that returns the images of a list of
// files, one per Capture, then io.EOF. Unreadable files are returned as
// errors so that the caller sees them.
type FileCamera struct {
	mu    sync.Mutex
	paths []string
	next  int
	// Interval paces frames like a real camera (0: as fast as asked).
	Interval time.Duration
}

// NewFileCamera returns a camera that yields the given image files in order.
func NewFileCamera(paths ...string) *FileCamera {
	return &FileCamera{paths: slices.Clone(paths)}
}

// Capture returns the next file's image.
func (c *FileCamera) Capture(ctx context.Context) (image.Image, error) {
	c.mu.Lock()
	if c.next >= len(c.paths) {
		c.mu.Unlock()
		return nil, io.EOF
	}
	path := c.paths[c.next]
	c.next++
	c.mu.Unlock()
	if c.Interval > 0 {
		pause(ctx, c.Interval)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imaging: %w", err)
	}
	defer f.Close()
	img, err := LoadImage(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Close is a no-op.
func (c *FileCamera) Close() error { return nil }

// DirSource watches a directory for new image files (for example snapshots
// dropped by a camera daemon or a developer) and yields the QR code of each
// new file once. It implements scanner.Source.
type DirSource struct {
	dir  string
	opts Options
	log  *slog.Logger
	poll time.Duration

	mu     sync.Mutex
	seen   map[string]time.Time
	queue  []string
	closed bool
}

var _ scanner.Source = (*DirSource)(nil)

// DefaultDirPoll is how often DirSource looks for new files.
const DefaultDirPoll = 200 * time.Millisecond

// maxDirEntries bounds one directory listing; a camera daemon that never
// deletes snapshots must not make the agent read millions of names.
const maxDirEntries = 10000

// imageExts are the file names DirSource considers.
var imageExts = []string{".png", ".jpg", ".jpeg", ".gif"}

// NewDirSource watches dir. Files already present are ignored unless
// includeExisting is set.
func NewDirSource(dir string, opts Options, includeExisting bool, log *slog.Logger) (*DirSource, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &DirSource{dir: dir, opts: opts, log: log, poll: DefaultDirPoll, seen: map[string]time.Time{}}
	names, err := s.list()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if includeExisting {
			s.queue = append(s.queue, n)
		} else {
			s.seen[n] = time.Time{}
		}
	}
	return s, nil
}

func (s *DirSource) list() ([]string, error) {
	d, err := os.Open(s.dir)
	if err != nil {
		return nil, fmt.Errorf("imaging: watch dir: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(maxDirEntries)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("imaging: watch dir: %w", err)
	}
	var out []string
	for _, n := range names {
		if slices.Contains(imageExts, strings.ToLower(filepath.Ext(n))) && !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Next returns the code of the next new image; files without a readable
// code are logged and skipped.
func (s *DirSource) Next(ctx context.Context) (scanner.Frame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return scanner.Frame{}, err
		}
		name, ok, err := s.pop()
		if err != nil {
			return scanner.Frame{}, err
		}
		if !ok {
			pause(ctx, s.poll)
			if err := s.rescan(); err != nil {
				s.log.Warn("image directory unreadable", "err", err)
			}
			continue
		}
		res, err := DecodeFile(filepath.Join(s.dir, name), s.opts)
		if err != nil {
			s.log.Info("image skipped", "file", name, "reason", err.Error())
			continue
		}
		return scanner.Frame{Data: []byte(res.Text), Symbology: res.Symbology, At: time.Now()}, nil
	}
}

func (s *DirSource) pop() (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", false, scanner.ErrClosed
	}
	if len(s.queue) == 0 {
		return "", false, nil
	}
	n := s.queue[0]
	s.queue = s.queue[1:]
	return n, true, nil
}

// rescan queues files that are new or were rewritten since last seen.
func (s *DirSource) rescan() error {
	names, err := s.list()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(s.dir, n))
		if err != nil {
			continue // removed between list and stat
		}
		if mt, ok := s.seen[n]; ok && (mt.IsZero() || !fi.ModTime().After(mt)) {
			continue
		}
		s.seen[n] = fi.ModTime()
		s.queue = append(s.queue, n)
	}
	return nil
}

// State is Connected until Close.
func (s *DirSource) State() scanner.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return scanner.Closed
	}
	return scanner.Connected
}

// Close stops the source.
func (s *DirSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

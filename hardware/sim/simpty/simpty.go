// Package simpty holds what the hardware simulators share: a pseudo-terminal pair in raw mode, the
// stand-in for a serial device, and a stable symlink to it, the stand-in for a udev name.
package simpty

import (
	"errors"
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ErrNotSymlink is returned by ReplaceSymlink when the link path holds something that is not a
// symlink: a simulator never replaces a real file or device.
var ErrNotSymlink = errors.New("simpty: path exists and is not a symlink")

// OpenRaw opens a pty pair with the slave in raw mode. Raw mode is set before any byte is written
// because the driver may open the slave later: bytes arriving in the default cooked mode would have
// CR turned into LF and be echoed back.
func OpenRaw() (master, slave *os.File, err error) {
	master, slave, err = pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("simpty: open pty: %w", err)
	}
	if err := MakeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("simpty: raw mode: %w", err)
	}
	return master, slave, nil
}

// MakeRaw puts a terminal into raw mode: 8 bits, no echo, no line editing, no CR/LF translation.
func MakeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// ReplaceSymlink points link at target atomically (a rename over the old link), so a driver never
// sees the name missing while it is repointed. It refuses to replace anything but a symlink.
func ReplaceSymlink(target, link string) error {
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%w: %s", ErrNotSymlink, link)
	}
	tmp := fmt.Sprintf("%s.tmp%d", link, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("simpty: symlink: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("simpty: symlink: %w", err)
	}
	return nil
}

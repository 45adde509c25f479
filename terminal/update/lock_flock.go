//go:build linux || darwin || freebsd || openbsd || netbsd

package update

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive lock in dir so that two updates (or an update and a rollback) never
// interleave their renames. It fails at once rather than waiting: the technician sees who holds it.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(dir+"/.posagent.update.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, classify(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("update: another update or rollback is running in %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

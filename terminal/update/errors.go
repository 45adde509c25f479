package update

import (
	"errors"

	"github.com/stillpay/stillpay/terminal/bundle"
)

// Errors of Apply and Rollback (bundle errors are terminal/bundle's). Test with errors.Is.
var (
	// ErrWrongTarget: the bundle is built for another OS or CPU.
	ErrWrongTarget = errors.New("update: bundle is for another kind of machine")
	// ErrSelfTest: the new (or previous) binary did not run `version` successfully here.
	ErrSelfTest = errors.New("update: binary does not run on this machine")
	// ErrNoPrevious: there is no previous binary to roll back to.
	ErrNoPrevious = errors.New("update: no previous binary to roll back to")
	// ErrPermission: the binary's directory is not writable by this user.
	ErrPermission = errors.New("update: not allowed to replace the binary")
)

// Hint says what a technician should do after err.
func Hint(err error) string {
	switch {
	case errors.Is(err, ErrWrongTarget):
		return "download the bundle for this terminal's architecture (posagent version shows it) and run the update again"
	case errors.Is(err, ErrSelfTest):
		return "nothing was changed; the bundle may be for another CPU (armv7 vs arm64) or damaged: download the right one"
	case errors.Is(err, ErrNoPrevious):
		return "no update has been applied with this binary yet; to go back to an older release, update with that release's bundle"
	case errors.Is(err, ErrPermission):
		return "run it as root: sudo posagent update ..."
	}
	return bundle.Hint(err)
}

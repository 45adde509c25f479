//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wallet

// lockFile is a no-op where there is no flock: one wallet process at a time is the user's job there.
func lockFile(path string) (unlock func(), err error) {
	return func() {}, nil
}

//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package update

// lockDir is a no-op where flock is not available; posagent ships for Linux only.
func lockDir(string) (func(), error) { return func() {}, nil }

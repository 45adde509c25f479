//go:build !linux

package cli

import "os"

// hideInput does nothing where posagent does not run in production.
func hideInput(*os.File) (restore func()) { return func() {} }

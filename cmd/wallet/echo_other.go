//go:build !linux

package main

import "io"

// noEcho cannot turn echo off here; the password shows as it is typed (use --password-file).
func noEcho(io.Reader) (restore func()) { return func() {} }

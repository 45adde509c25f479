// Package simscanner is a virtual serial barcode scanner on a pty.
//
// It behaves like a USB-CDC scanner as the agent sees it: the driver opens
// the pty slave (or a stable symlink to it, like udev's /dev/scanner)
// through the same go.bug.st/serial code path as a real /dev/ttyACM0. The
// simulator writes each payload the way a scanner would: an optional AIM
// identifier, the data, a suffix, optionally split into several writes and
// with line noise between frames. Unplug closes the pty master (the driver
// sees PortClosed, as with a real unplug) and removes the symlink; Replug
// creates a new pty and points the symlink at it.
package simscanner

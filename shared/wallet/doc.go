// Package wallet is the phone side of stillpay, as a library a real phone app can reuse: it logs in,
// asks the server for a first approval (the offline credential and the one-time-code secret), keeps
// that state under a home directory, and makes the next payment code without any network.
//
// The one promise it must keep is that a code is never shown twice: NextCode moves the counter
// forward and makes it durable (fsync) before it returns the code. A crash may waste a counter; it
// can never reuse one.
package wallet

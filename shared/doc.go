// Package shared holds the code that the phone, the terminal and the server must agree on: money,
// one-time codes, the offline credential, the QR payload and the HTTP wire protocol. It depends only on
// the standard library and small crypto/encoding modules so that a real phone app can reuse it.
package shared

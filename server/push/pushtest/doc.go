// Package pushtest is a local RFC 8030 push service for tests: an HTTP server on 127.0.0.1 that
// plays the browser's push service, checks each request's VAPID authorization (RFC 8292, an ES256
// JWT for its own origin) and decrypts the aes128gcm body (RFC 8291) with the browser keys a test
// made, as a browser would. Its decryption is proved by the RFC 8291 Appendix A vector.
package pushtest

// Package admin is settlementd's operator API: its request and response types (shared by the server's
// handlers and the client) and the client that `settlementd admin ...` uses. The API is reached with a
// bearer token read from a 0600 file.
package admin

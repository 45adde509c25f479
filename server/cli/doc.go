// Package cli is the settlementd command line (cobra): serve, admin (the operator API's client),
// keys and bench. cmd/settlementd/main.go only calls Main.
package cli

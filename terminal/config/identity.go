package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

// ErrNotEnrolled means the identity file is missing: the terminal has not been provisioned.
var ErrNotEnrolled = errors.New("config: terminal not enrolled")

// ErrIdentityCorrupt means the identity file exists but cannot be used.
var ErrIdentityCorrupt = errors.New("config: identity file unreadable")

// maxIdentityBytes bounds the identity file.
const maxIdentityBytes = 256 << 10

// IdentityState is what enrollment told the terminal about itself. `posagent provision` writes it.
type IdentityState struct {
	TerminalID    string                  `json:"terminal_id"`
	MerchantID    string                  `json:"merchant_id"`
	MerchantName  string                  `json:"merchant_name"`
	ReceiptHeader []string                `json:"receipt_header"`
	Limits        protocol.TerminalLimits `json:"limits"`
	ServerKeys    []protocol.ServerKey    `json:"server_keys"`
	ServerURL     string                  `json:"server_url"`
	EnrolledAt    time.Time               `json:"enrolled_at"`
	// SeqFloor: this box numbers its transactions above it (a replaced box's successor).
	SeqFloor uint64 `json:"seq_floor,omitempty"`
}

// LoadIdentity reads the identity file at path.
func LoadIdentity(path string) (IdentityState, error) {
	data, err := keyfile.ReadSecret(path, maxIdentityBytes)
	if errors.Is(err, keyfile.ErrNotFound) {
		return IdentityState{}, fmt.Errorf("%w: no identity file at %s; run: posagent provision --server URL --enroll-code CODE", ErrNotEnrolled, path)
	}
	if err != nil {
		return IdentityState{}, fmt.Errorf("%w: %w", ErrIdentityCorrupt, err)
	}
	var id IdentityState
	if err := json.Unmarshal(data, &id); err != nil {
		return IdentityState{}, fmt.Errorf("%w: %s: %v; re-run posagent provision --force", ErrIdentityCorrupt, path, err)
	}
	if id.TerminalID == "" || len(id.ServerKeys) == 0 {
		return IdentityState{}, fmt.Errorf("%w: %s lacks the terminal id or server keys; re-run posagent provision --force", ErrIdentityCorrupt, path)
	}
	return id, nil
}

// SaveIdentity writes the identity file atomically (mode 0600: it names the terminal to the server).
func SaveIdentity(path string, id IdentityState) error {
	data, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return keyfile.WriteSecret(path, append(data, '\n'))
}

// SaveServerKeys replaces the server keys in the identity file at path, keeping everything else,
// atomically. The running agent calls it when it learns keys the server rotated to.
func SaveServerKeys(path string, keys []protocol.ServerKey) error {
	if len(keys) == 0 {
		return fmt.Errorf("%w: refusing to save an empty server key list to %s", ErrIdentityCorrupt, path)
	}
	id, err := LoadIdentity(path)
	if err != nil {
		return err
	}
	id.ServerKeys = keys
	return SaveIdentity(path, id)
}

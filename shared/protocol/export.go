package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// An export file carries the queue of a terminal that cannot reach the server any more (a dead box,
// a site without network): a technician copies it off the terminal and an operator runs
// `settlementd admin import FILE`. The server verifies the terminal's signature and applies the items
// exactly as a batch from that terminal, under the same idempotency keys, so a terminal that later
// forwards the same items settles nothing twice.

// ExportFormat is the format name every export file carries.
const ExportFormat = "stillpay-export-v1"

// ExportSigningContext separates export signatures from every other signature in the system.
const ExportSigningContext = "stillpay-export-v1\x00"

// Bounds of an export file. A terminal's offline limits keep a real queue far below these.
const (
	MaxExportItems = 20_000
	MaxExportBytes = 64 << 20
)

// Errors from ParseExport and VerifyExport. Test with errors.Is.
var (
	ErrExportMalformed = errors.New("protocol: malformed export file")
	ErrExportSignature = errors.New("protocol: export signature does not verify")
)

// Export is a terminal's signed queue. Signature is Ed25519 by the terminal's key over
// ExportSigningContext || terminal id || "\n" || created_at (unix ms) || "\n" || hex(SHA-256 of the
// canonical items), where the canonical items are encoding/json's encoding of Items.
type Export struct {
	Format     string      `json:"format"`
	TerminalID string      `json:"terminal_id"`
	CreatedAt  time.Time   `json:"created_at"`
	Items      []BatchItem `json:"items"`
	Signature  []byte      `json:"signature"`
}

func exportSigningBytes(terminalID string, createdAt time.Time, items []BatchItem) ([]byte, error) {
	canon, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("protocol: marshal export items: %w", err)
	}
	sum := sha256.Sum256(canon)
	return fmt.Appendf(nil, "%s%s\n%d\n%s", ExportSigningContext, terminalID, createdAt.UnixMilli(), hex.EncodeToString(sum[:])), nil
}

// SignExport builds the signed export of items for terminalID.
func SignExport(terminalID string, items []BatchItem, createdAt time.Time, key ed25519.PrivateKey) (Export, error) {
	if len(items) > MaxExportItems {
		return Export{}, fmt.Errorf("%w: %d items, at most %d", ErrExportMalformed, len(items), MaxExportItems)
	}
	createdAt = createdAt.UTC().Truncate(time.Millisecond)
	msg, err := exportSigningBytes(terminalID, createdAt, items)
	if err != nil {
		return Export{}, err
	}
	return Export{
		Format:     ExportFormat,
		TerminalID: terminalID,
		CreatedAt:  createdAt,
		Items:      items,
		Signature:  ed25519.Sign(key, msg),
	}, nil
}

// VerifyExport checks e's signature against the terminal's public key.
func VerifyExport(e Export, pub ed25519.PublicKey) error {
	msg, err := exportSigningBytes(e.TerminalID, e.CreatedAt, e.Items)
	if err != nil {
		return err
	}
	if len(pub) != ed25519.PublicKeySize || len(e.Signature) != ed25519.SignatureSize ||
		!ed25519.Verify(pub, msg, e.Signature) {
		return ErrExportSignature
	}
	return nil
}

// ParseExport reads an export file strictly: one JSON object, no unknown fields, the right format,
// a terminal id and at most MaxExportItems items. It does not check the signature (VerifyExport
// needs the terminal's key, which the server looks up by TerminalID).
func ParseExport(r io.Reader) (Export, error) {
	lr := &io.LimitedReader{R: r, N: MaxExportBytes + 1}
	data, err := io.ReadAll(lr)
	if err != nil {
		return Export{}, fmt.Errorf("%w: %w", ErrExportMalformed, err)
	}
	if len(data) > MaxExportBytes {
		return Export{}, fmt.Errorf("%w: larger than %d bytes", ErrExportMalformed, MaxExportBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Export
	if err := dec.Decode(&e); err != nil {
		return Export{}, fmt.Errorf("%w: %w", ErrExportMalformed, err)
	}
	if dec.More() {
		return Export{}, fmt.Errorf("%w: data after the JSON object", ErrExportMalformed)
	}
	switch {
	case e.Format != ExportFormat:
		return Export{}, fmt.Errorf("%w: format %q, want %q", ErrExportMalformed, truncateID(e.Format), ExportFormat)
	case e.TerminalID == "" || len(e.TerminalID) > MaxIDLen:
		return Export{}, fmt.Errorf("%w: terminal_id must be 1..%d characters", ErrExportMalformed, MaxIDLen)
	case len(e.Items) > MaxExportItems:
		return Export{}, fmt.Errorf("%w: %d items, at most %d", ErrExportMalformed, len(e.Items), MaxExportItems)
	case len(e.Signature) != ed25519.SignatureSize:
		return Export{}, fmt.Errorf("%w: signature must be %d bytes", ErrExportMalformed, ed25519.SignatureSize)
	}
	return e, nil
}

func truncateID(s string) string {
	if len(s) > MaxIDLen {
		return s[:MaxIDLen] + "…"
	}
	return s
}

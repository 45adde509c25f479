package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ErrBadSeenEntry: a seen-code value in the file could not be decoded.
var ErrBadSeenEntry = errors.New("queue: bad seen-code entry")

// seenV1 marks a seen-code value that carries the credential's expiry:
//
//	0x00 | expiry (int64 Unix seconds, big endian) | txn id
//
// Values written before the expiry was stored are the bare txn id. A txn id is printable text
// (terminal id + sequence), so it never starts with 0x00 and the two forms cannot be confused.
const seenV1 = 0x00

// seenHeaderLen is the marker and the expiry.
const seenHeaderLen = 1 + 8

// maxSeenValue bounds a decoded value: a txn id is at most a few dozen characters.
const maxSeenValue = seenHeaderLen + 256

// encodeSeen is the stored value of a seen code. A zero expiry is stored in the legacy form: the
// entry then ages with its record, like the ones written before expiries were kept.
func encodeSeen(txnID string, expires time.Time) []byte {
	if expires.IsZero() {
		return []byte(txnID)
	}
	b := make([]byte, 0, seenHeaderLen+len(txnID))
	b = append(b, seenV1)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.Unix()))
	return append(b, txnID...)
}

// decodeSeen reads a stored seen-code value, in either form.
func decodeSeen(v []byte) (txnID string, expires time.Time, err error) {
	switch {
	case len(v) == 0:
		return "", time.Time{}, fmt.Errorf("%w: empty", ErrBadSeenEntry)
	case len(v) > maxSeenValue:
		return "", time.Time{}, fmt.Errorf("%w: %d bytes", ErrBadSeenEntry, len(v))
	case v[0] != seenV1:
		return string(v), time.Time{}, nil
	case len(v) <= seenHeaderLen:
		return "", time.Time{}, fmt.Errorf("%w: %d bytes, no transaction id", ErrBadSeenEntry, len(v))
	}
	secs := int64(binary.BigEndian.Uint64(v[1:seenHeaderLen]))
	return string(v[seenHeaderLen:]), time.Unix(secs, 0).UTC(), nil
}

package push_test

import (
	"encoding/base64"
	"encoding/hex"
)

// encodings are the ways a leaked key would be spelled.
func encodings(raw []byte) []string {
	return []string{base64.RawURLEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw), hex.EncodeToString(raw)}
}

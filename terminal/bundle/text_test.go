package bundle

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var zeroSum = strings.Repeat("0", 64)

// sumsCases drives TestParseSums and seeds FuzzParseSums.
var sumsCases = []struct {
	name    string
	text    string
	want    int // number of files on success
	wantErr bool
}{
	{name: "two files", text: zeroSum + "  MANIFEST\n" + zeroSum + "  posagent\n", want: 2},
	{name: "binary marker", text: zeroSum + " *posagent\n", want: 1},
	{name: "no final newline", text: zeroSum + "  posagent", wantErr: true},
	{name: "empty", text: "", wantErr: true},
	{name: "upper-case hex", text: strings.ToUpper(strings.Repeat("ab", 32)) + "  posagent\n", wantErr: true},
	{name: "short hash", text: "abcd  posagent\n", wantErr: true},
	{name: "one space", text: zeroSum + " posagent\n", wantErr: true},
	{name: "path", text: zeroSum + "  ../posagent\n", wantErr: true},
	{name: "dot file", text: zeroSum + "  .profile\n", wantErr: true},
	{name: "lists itself", text: zeroSum + "  SHA256SUMS\n", wantErr: true},
	{name: "duplicate", text: zeroSum + "  posagent\n" + zeroSum + "  posagent\n", wantErr: true},
	{name: "blank line", text: zeroSum + "  posagent\n\n", wantErr: true},
	{name: "too many", text: strings.Repeat(zeroSum+"  f\n", 1) + func() string {
		var b strings.Builder
		for i := 0; i <= MaxFiles; i++ {
			b.WriteString(zeroSum + "  f" + strings.Repeat("x", i) + "\n")
		}
		return b.String()
	}(), wantErr: true},
}

func TestParseSums(t *testing.T) {
	for _, tc := range sumsCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSums([]byte(tc.text))
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %d files, err %v; want %d", len(got), err, tc.want)
			}
		})
	}
}

func TestSumsRoundTrip(t *testing.T) {
	files := map[string][]byte{"a": []byte("1"), "posagent": []byte("2")}
	got, err := parseSums(formatSums(files))
	if err != nil {
		t.Fatal(err)
	}
	for n, d := range files {
		if got[n] != digest(d) {
			t.Fatalf("%s: digest lost", n)
		}
	}
}

func FuzzParseSums(f *testing.F) {
	for _, tc := range sumsCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseSums(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for name := range got {
			if checkName(name) != nil || name == SumsName || name == SignatureName {
				t.Fatalf("accepted name %q", name)
			}
		}
	})
}

// signatureCases drives TestParseSignature and seeds FuzzParseSignature.
var signatureCases = []struct {
	name string
	text string
	ok   bool
}{
	{name: "valid", text: string(sign(testKey, []byte("sums\n"))), ok: true},
	{name: "missing header", text: strings.SplitN(string(sign(testKey, []byte("sums\n"))), "\n", 2)[1]},
	{name: "crlf", text: strings.ReplaceAll(string(sign(testKey, []byte("sums\n"))), "\n", "\r\n")},
	{name: "short key id", text: signatureHeader + "\nkey-id: abcd\nsignature: " + strings.Repeat("A", 86) + "==\n"},
	{name: "signature too short", text: signatureHeader + "\nkey-id: 0123456789abcdef\nsignature: AAAA\n"},
	{name: "extra line", text: string(sign(testKey, []byte("sums\n"))) + "comment: x\n"},
	{name: "huge", text: strings.Repeat("x", MaxSignatureSize+1)},
}

func TestParseSignature(t *testing.T) {
	for _, tc := range signatureCases {
		t.Run(tc.name, func(t *testing.T) {
			id, sig, err := parseSignature([]byte(tc.text))
			if !tc.ok {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("error %v, want ErrBadSignature", err)
				}
				return
			}
			if err != nil || id != KeyID(testPub) || len(sig) != ed25519.SignatureSize {
				t.Fatalf("id %q sig %d err %v", id, len(sig), err)
			}
		})
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, tc := range signatureCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, sig, err := parseSignature(data)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(sig) != ed25519.SignatureSize {
			t.Fatalf("accepted a %d-byte signature", len(sig))
		}
	})
}

// keyCases drives TestParsePublicKey and seeds FuzzParsePublicKey.
var keyCases = []struct {
	name string
	text string
	ok   bool
}{
	{name: "base64", text: EncodePublicKey(testPub), ok: true},
	{name: "base64 with newline", text: EncodePublicKey(testPub) + "\n", ok: true},
	{name: "hex", text: hex.EncodeToString(testPub), ok: true},
	{name: "too short", text: EncodePublicKey(testPub)[:40]},
	{name: "private key seed length", text: hex.EncodeToString(testKey)},
	{name: "empty", text: ""},
	{name: "words", text: "trust me"},
}

func TestParsePublicKey(t *testing.T) {
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKey(tc.text)
			if !tc.ok {
				if !errors.Is(err, ErrBadKey) {
					t.Fatalf("error %v, want ErrBadKey", err)
				}
				return
			}
			if err != nil || !k.Equal(testPub) {
				t.Fatalf("key %x err %v", k, err)
			}
		})
	}
}

func FuzzParsePublicKey(f *testing.F) {
	for _, tc := range keyCases {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicKey(s)
		if err != nil {
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if len(k) != ed25519.PublicKeySize {
			t.Fatalf("accepted %d bytes", len(k))
		}
	})
}

func TestParseTrustedKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "release.pub")
	if err := os.WriteFile(file, []byte("# release keys\n"+EncodePublicKey(testPub)+"\n\n"+EncodePublicKey(otherPub)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := ParseTrustedKeys([]string{"", file, hex.EncodeToString(testPub)})
	if err != nil || len(keys) != 3 || !keys[1].Equal(otherPub) {
		t.Fatalf("keys %d err %v", len(keys), err)
	}
	if _, err := ParseTrustedKeys([]string{"not-a-key"}); !errors.Is(err, ErrBadKey) {
		t.Fatalf("bad key: %v", err)
	}
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(bad, []byte("garbage\n"), 0o644)
	if _, err := ParseTrustedKeys([]string{bad}); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad key file: %v", err)
	}
	empty := filepath.Join(dir, "empty.pub")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	if _, err := ParseTrustedKeys([]string{empty}); !errors.Is(err, ErrBadKey) {
		t.Fatalf("empty key file: %v", err)
	}
}

// manifestCases drives TestDecodeManifest and seeds FuzzDecodeManifest.
var manifestCases = []struct {
	name string
	text string
	ok   bool
}{
	{name: "valid", text: string(testManifest().encode()), ok: true},
	{name: "arm64", text: `{"format":1,"product":"posagent","version":"1.0","target":{"os":"linux","arch":"arm64"}}`, ok: true},
	{name: "not json", text: "version=1"},
	{name: "goarm on amd64", text: `{"format":1,"product":"posagent","version":"1.0","target":{"os":"linux","arch":"amd64","arm":"7"}}`},
	{name: "goarm 8", text: `{"format":1,"product":"posagent","version":"1.0","target":{"os":"linux","arch":"arm","arm":"8"}}`},
	{name: "no target", text: `{"format":1,"product":"posagent","version":"1.0"}`},
	{name: "newline in version", text: `{"format":1,"product":"posagent","version":"1.0\nx","target":{"os":"linux","arch":"arm64"}}`},
}

func TestDecodeManifest(t *testing.T) {
	for _, tc := range manifestCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeManifest([]byte(tc.text))
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped: %v", err)
			}
		})
	}
}

func FuzzDecodeManifest(f *testing.F) {
	for _, tc := range manifestCases {
		f.Add([]byte(tc.text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if strings.ContainsAny(m.FileName(), "/\\ \n") {
			t.Fatalf("unsafe file name %q", m.FileName())
		}
	})
}

func TestTargetString(t *testing.T) {
	for _, tc := range []struct {
		t    Target
		want string
	}{
		{Target{"linux", "arm", "7"}, "linux-armv7"},
		{Target{"linux", "arm64", ""}, "linux-arm64"},
		{Target{"linux", "amd64", ""}, "linux-amd64"},
	} {
		if got := tc.t.String(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.t, got, tc.want)
		}
	}
}

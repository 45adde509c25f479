package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// openCase is one bundle and what Open must say about it. The table drives TestOpen and seeds FuzzOpen.
type openCase struct {
	name    string
	bundle  func(t testing.TB) []byte
	trusted []ed25519.PublicKey
	wantErr error // nil: the bundle must verify
	msg     string
}

// tamper returns a bundle whose file name has fn applied after signing.
func tamper(name string, fn func([]byte) []byte) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		top, names, files := unpack(t, testBundle(t))
		files[name] = fn(append([]byte(nil), files[name]...))
		return repack(t, top, names, files)
	}
}

func flipByte(i int) func([]byte) []byte {
	return func(b []byte) []byte {
		if i < 0 {
			i += len(b)
		}
		b[i] ^= 0x01
		return b
	}
}

func manifestWith(edit func(*Manifest)) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		m := testManifest()
		edit(&m)
		files := map[string][]byte{ManifestName: m.encode(), BinaryName: []byte("bin")}
		return signedArchive(t, files, testKey)
	}
}

var openCases = []openCase{
	{name: "valid", bundle: testBundle, trusted: []ed25519.PublicKey{testPub}},
	{name: "valid among several trusted keys", bundle: testBundle, trusted: []ed25519.PublicKey{otherPub, testPub}},
	{name: "changed byte in the binary", bundle: tamper(BinaryName, flipByte(100)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum, msg: "posagent does not match SHA256SUMS"},
	{name: "changed last byte of the binary", bundle: tamper(BinaryName, flipByte(-1)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum},
	{name: "binary truncated", bundle: tamper(BinaryName, func(b []byte) []byte { return b[:len(b)-1] }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum},
	{name: "changed byte in the install script", bundle: tamper("install.sh", flipByte(12)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum, msg: "install.sh"},
	{name: "changed byte in the manifest", bundle: tamper(ManifestName, flipByte(20)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum},
	{name: "changed byte in the sums", bundle: tamper(SumsName, flipByte(3)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature},
	{name: "sums line swapped for the tampered binary", bundle: func(t testing.TB) []byte {
		top, names, files := unpack(t, testBundle(t))
		files[BinaryName] = []byte("evil")
		lines := strings.Split(string(files[SumsName]), "\n")
		for i, l := range lines {
			if strings.HasSuffix(l, "  "+BinaryName) {
				lines[i] = strings.TrimSuffix(string(formatSums(map[string][]byte{BinaryName: files[BinaryName]})), "\n")
			}
		}
		files[SumsName] = []byte(strings.Join(lines, "\n"))
		return repack(t, top, names, files)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature},
	{name: "changed byte in the signature", bundle: tamper(SignatureName, flipByte(-10)), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature},
	{name: "changed key id in the signature", bundle: tamper(SignatureName, func(b []byte) []byte {
		return bytes.Replace(b, []byte("key-id: "+KeyID(testPub)), []byte("key-id: "+KeyID(otherPub)), 1)
	}), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature, msg: "names key"},
	{name: "signature without its final newline", bundle: tamper(SignatureName, func(b []byte) []byte { return b[:len(b)-1] }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature},
	{name: "signature is garbage", bundle: tamper(SignatureName, func([]byte) []byte { return []byte("hello\n") }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrBadSignature},
	{name: "signed by another key", bundle: testBundle, trusted: []ed25519.PublicKey{otherPub}, wantErr: ErrUntrustedKey, msg: KeyID(testPub)},
	{name: "no trusted keys", bundle: testBundle, wantErr: ErrNoTrustedKeys},
	{name: "re-signed by an attacker's key", bundle: func(t testing.TB) []byte {
		_, _, files := unpack(t, testBundle(t))
		delete(files, SumsName)
		delete(files, SignatureName)
		files[BinaryName] = []byte("evil")
		return signedArchive(t, files, otherKey)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrUntrustedKey},
	{name: "file added after signing", bundle: func(t testing.TB) []byte {
		top, names, files := unpack(t, testBundle(t))
		files["extra.sh"] = []byte("rm -rf /")
		return repack(t, top, append(names, "extra.sh"), files)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum, msg: "extra.sh is not listed"},
	{name: "file removed after signing", bundle: func(t testing.TB) []byte {
		top, names, files := unpack(t, testBundle(t))
		var kept []string
		for _, n := range names {
			if n != "install.sh" {
				kept = append(kept, n)
			}
		}
		return repack(t, top, kept, files)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrChecksum, msg: "install.sh is listed"},
	{name: "no signature file", bundle: func(t testing.TB) []byte {
		top, names, files := unpack(t, testBundle(t))
		var kept []string
		for _, n := range names {
			if n != SignatureName {
				kept = append(kept, n)
			}
		}
		return repack(t, top, kept, files)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrUnsigned},
	{name: "not gzip", bundle: func(testing.TB) []byte { return []byte("#!/bin/sh\necho not a bundle\n") }, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "not gzip"},
	{name: "empty file", bundle: func(testing.TB) []byte { return nil }, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "truncated download", bundle: func(t testing.TB) []byte { b := testBundle(t); return b[:len(b)/2] }, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "symlink entry", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "p/", typeflag: tar.TypeDir}, {name: "p/posagent", typeflag: tar.TypeSymlink, linkname: "/bin/sh"}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "not a regular file"},
	{name: "path traversal", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "p/", typeflag: tar.TypeDir}, {name: "p/../../etc/passwd", data: []byte("x")}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "absolute path", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "/etc/passwd", data: []byte("x")}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "two top directories", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "a/x", data: []byte("x")}, {name: "b/y", data: []byte("y")}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "outside the bundle directory"},
	{name: "subdirectory", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "a/sub/x", data: []byte("x")}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "duplicate entry", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "a/x", data: []byte("1")}, {name: "a/x", data: []byte("2")}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "twice"},
	{name: "oversize entry", bundle: func(t testing.TB) []byte {
		return rawArchive(t, []entry{{name: "a/posagent", data: []byte("x"), size: MaxFileSize + 1}})
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "over"},
	{name: "manifest of a newer format", bundle: manifestWith(func(m *Manifest) { m.Format = 2 }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "format 2"},
	{name: "manifest of another product", bundle: manifestWith(func(m *Manifest) { m.Product = "settlementd" }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "manifest version with a slash", bundle: manifestWith(func(m *Manifest) { m.Version = "../1" }), trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed},
	{name: "no binary", bundle: func(t testing.TB) []byte {
		return signedArchive(t, map[string][]byte{ManifestName: testManifest().encode()}, testKey)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "no posagent"},
	{name: "no manifest", bundle: func(t testing.TB) []byte {
		return signedArchive(t, map[string][]byte{BinaryName: []byte("x")}, testKey)
	}, trusted: []ed25519.PublicKey{testPub}, wantErr: ErrMalformed, msg: "no MANIFEST"},
}

func TestOpen(t *testing.T) {
	for _, tc := range openCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Open(bytes.NewReader(tc.bundle(t)), tc.trusted)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("valid bundle refused: %v", err)
				}
				if b.Manifest != testManifest() || b.KeyID != KeyID(testPub) {
					t.Fatalf("bundle: %+v key %s", b.Manifest, b.KeyID)
				}
				for name, want := range testFiles() {
					got, ok := b.File(name)
					if !ok || !bytes.Equal(got.Data, want.Data) || got.Mode != want.Mode {
						t.Fatalf("file %s: %v %o", name, ok, got.Mode)
					}
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if b != nil {
				t.Fatal("a refused bundle must not be returned")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
			if Hint(err) == "" {
				t.Fatalf("no hint for %v", err)
			}
		})
	}
}

// TestEveryChangedByteIsRefused flips every byte of the signed text files and a spread of the
// binary's bytes, one at a time, and checks each tampered bundle is refused.
func TestEveryChangedByteIsRefused(t *testing.T) {
	top, names, files := unpack(t, testBundle(t))
	trusted := []ed25519.PublicKey{testPub}
	for _, name := range names {
		data := files[name]
		// Every byte of the signed sums and of the signature; a spread (first and last included) elsewhere.
		step := 1
		if name != SumsName && name != SignatureName && len(data) > 64 {
			step = len(data) / 63
		}
		for i := 0; i < len(data); i += min(step, max(1, len(data)-1-i)) {
			tampered := map[string][]byte{}
			for n, d := range files {
				tampered[n] = d
			}
			changed := append([]byte(nil), data...)
			changed[i] ^= 0x20
			tampered[name] = changed
			if _, err := Open(bytes.NewReader(repack(t, top, names, tampered)), trusted); err == nil {
				t.Fatalf("%s with byte %d changed was accepted", name, i)
			}
		}
	}
}

func TestBuildIsReproducible(t *testing.T) {
	a, b := testBundle(t), testBundle(t)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same inputs differ")
	}
	top, names, _ := unpack(t, a)
	if top != "posagent-v1.2.3-linux-armv7/" {
		t.Fatalf("top directory %q", top)
	}
	want := []string{"MANIFEST", "SHA256SUMS", "SHA256SUMS.sig", "install.sh", "posagent", "posagent.example.yaml"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("entries %v, want %v", names, want)
	}
}

func TestBuildRefuses(t *testing.T) {
	var b bytes.Buffer
	files := testFiles()
	delete(files, BinaryName)
	if err := Build(&b, testManifest(), files, testKey); err == nil {
		t.Fatal("a bundle without a binary was built")
	}
	files = testFiles()
	files[SumsName] = File{Data: []byte("x")}
	if err := Build(&b, testManifest(), files, testKey); err == nil {
		t.Fatal("a caller-supplied SHA256SUMS was accepted")
	}
	files = testFiles()
	files["../evil"] = File{Data: []byte("x")}
	if err := Build(&b, testManifest(), files, testKey); err == nil {
		t.Fatal("an unsafe name was accepted")
	}
	m := testManifest()
	m.Version = ""
	if err := Build(&b, m, testFiles(), testKey); !errors.Is(err, ErrMalformed) {
		t.Fatalf("empty version: %v", err)
	}
	if err := Build(&b, testManifest(), testFiles(), nil); !errors.Is(err, ErrBadKey) {
		t.Fatalf("no key: %v", err)
	}
}

// FuzzOpen feeds arbitrary archives to Open: it must never panic, every refusal must be one of the
// package's errors, and nothing but the signed bundles of the table may verify.
func FuzzOpen(f *testing.F) {
	for _, tc := range openCases {
		f.Add(tc.bundle(f))
	}
	valid := digest(testBundle(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Open(bytes.NewReader(data), []ed25519.PublicKey{testPub})
		if err != nil {
			for _, e := range []error{ErrMalformed, ErrUnsigned, ErrUntrustedKey, ErrBadSignature, ErrChecksum} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		bin, _ := b.File(BinaryName)
		if digest(data) != valid && !bytes.Equal(bin.Data, testFiles()[BinaryName].Data) {
			t.Fatalf("a bundle with a binary nobody signed verified")
		}
	})
}

package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"sort"
	"testing"
)

// Deterministic test keys, so fuzz seeds and table cases describe the same bundles on every run.
var (
	testKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	testPub  = testKey.Public().(ed25519.PublicKey)
	otherPub = otherKey.Public().(ed25519.PublicKey)
)

func testManifest() Manifest {
	return Manifest{Format: FormatVersion, Product: Product, Version: "v1.2.3", Commit: "abc1234",
		Target: Target{OS: "linux", Arch: "arm", ARM: "7"}, Created: "2026-01-02T03:04:05Z"}
}

func testFiles() map[string]File {
	return map[string]File{
		BinaryName:              {Mode: 0o755, Data: append([]byte("\x7fELF"), bytes.Repeat([]byte("posagent binary "), 256)...)},
		"install.sh":            {Mode: 0o755, Data: []byte("#!/bin/sh\necho install\n")},
		"posagent.example.yaml": {Mode: 0o644, Data: []byte("server:\n  url: https://pay.example.com\n")},
	}
}

// testBundle builds a valid bundle signed with testKey.
func testBundle(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Build(&b, testManifest(), testFiles(), testKey); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// entry is one raw tar entry, for archives Build would never write.
type entry struct {
	name     string
	typeflag byte
	data     []byte
	size     int64 // header size when it differs from len(data)
	linkname string
}

func rawArchive(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // many archives per test; size does not matter
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		size := int64(len(e.data))
		if e.size != 0 {
			size = e.size
		}
		tf := e.typeflag
		if tf == 0 {
			tf = tar.TypeReg
		}
		if tf != tar.TypeReg {
			size = 0
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Typeflag: tf, Size: size, Mode: 0o644, Linkname: e.linkname}); err != nil {
			t.Fatal(err)
		}
		if tf == tar.TypeReg && len(e.data) > 0 {
			if _, err := tw.Write(e.data); err != nil && e.size == 0 {
				t.Fatal(err)
			}
		}
	}
	tw.Flush() // an oversize header's short body makes Close fail; the bytes written so far are the point
	gz.Close()
	return buf.Bytes()
}

// unpack returns a bundle's files by name (without the top directory), in archive order.
func unpack(t testing.TB, bundle []byte) (top string, names []string, files map[string][]byte) {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(bundle))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files = map[string][]byte{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeDir {
			top = h.Name
			continue
		}
		var b bytes.Buffer
		b.ReadFrom(tr)
		name := h.Name[len(top):]
		names = append(names, name)
		files[name] = b.Bytes()
	}
	return top, names, files
}

// repack writes files back as a bundle archive under top, in the given order.
func repack(t testing.TB, top string, names []string, files map[string][]byte) []byte {
	t.Helper()
	entries := []entry{{name: top, typeflag: tar.TypeDir}}
	for _, n := range names {
		entries = append(entries, entry{name: top + n, data: files[n]})
	}
	return rawArchive(t, entries)
}

// signedArchive signs whatever files it is given, valid or not, the way Build does.
func signedArchive(t testing.TB, files map[string][]byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	sums := formatSums(files)
	all := map[string][]byte{SumsName: sums, SignatureName: sign(key, sums)}
	for n, d := range files {
		all[n] = d
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	return repack(t, "posagent-test/", names, all)
}

func digest(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }

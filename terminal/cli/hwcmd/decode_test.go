package hwcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const qrDir = "../../../testdata/qr"

type manifestEntry struct{ File, Text string }

func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(qrDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// pick returns the first image with a short readable text and one without
// a code.
func pick(t *testing.T) (withCode manifestEntry, noCode manifestEntry) {
	for _, e := range readManifest(t) {
		switch {
		case e.File == "clean-short-text.jpg":
			withCode = e
		case e.Text == "" && noCode.File == "":
			noCode = e
		}
	}
	if withCode.File == "" || noCode.File == "" {
		t.Fatal("testdata/qr lacks clean-short-text.jpg or a no-code image")
	}
	return withCode, noCode
}

func TestDecodeCommand(t *testing.T) {
	good, none := pick(t)
	goodPath, nonePath := filepath.Join(qrDir, good.File), filepath.Join(qrDir, none.File)

	var out bytes.Buffer
	cmd := DecodeCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{goodPath})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("decode %s: %v\n%s", goodPath, err, out.String())
	}
	if want := goodPath + `: ]Q1 "` + good.Text + `"`; !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}

	out.Reset()
	cmd = DecodeCommand()
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs([]string{"--json", goodPath, nonePath})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "1 of 2 images") {
		t.Fatalf("decode with a no-code image: err = %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	var reports []decodeReport
	for dec.More() {
		var r decodeReport
		if err := dec.Decode(&r); err != nil {
			break // the error line cobra prints after the JSON
		}
		reports = append(reports, r)
	}
	if len(reports) != 2 || !reports[0].OK || reports[0].Text != good.Text || reports[0].Symbology != "]Q1" ||
		reports[1].OK || !strings.Contains(reports[1].Error, "no QR code") {
		t.Errorf("reports = %+v", reports)
	}
}

func TestDecodeCommandBadCrop(t *testing.T) {
	cmd := DecodeCommand()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--crop", "10,10,5", "x.png"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--crop") {
		t.Errorf("bad crop: %v", err)
	}
	if r, err := parseRect("10,20,110,220"); err != nil || r.Dx() != 100 || r.Dy() != 200 {
		t.Errorf("parseRect = %v, %v", r, err)
	}
}

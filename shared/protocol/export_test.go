package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
)

func exportFixture(t testing.TB) (Export, ed25519.PublicKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	items := []BatchItem{
		{Kind: KindOffline, TerminalTxnID: "T-1-000001", Amount: money.Amount{Minor: 250, Currency: "EUR"},
			Payload: "SP1:abc", ApprovedAt: time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600))},
		{Kind: KindVoid, TerminalTxnID: "T-1-000002", TargetTxnID: "T-1-000001"},
	}
	e, err := SignExport("T-1", items, time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), priv)
	if err != nil {
		t.Fatal(err)
	}
	return e, pub
}

func TestExportRoundTripVerifies(t *testing.T) {
	e, pub := exportFixture(t)
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseExport(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyExport(got, pub); err != nil {
		t.Fatalf("parsed export does not verify: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if err := VerifyExport(got, other); !errors.Is(err, ErrExportSignature) {
		t.Fatalf("other key: %v, want ErrExportSignature", err)
	}
	tampered := got
	tampered.Items = append([]BatchItem(nil), got.Items...)
	tampered.Items[0].Amount.Minor++
	if err := VerifyExport(tampered, pub); !errors.Is(err, ErrExportSignature) {
		t.Fatalf("tampered amount: %v, want ErrExportSignature", err)
	}
	tampered = got
	tampered.TerminalID = "T-2"
	if err := VerifyExport(tampered, pub); !errors.Is(err, ErrExportSignature) {
		t.Fatalf("other terminal: %v, want ErrExportSignature", err)
	}
}

// exportParseCases is the table of ParseExport inputs; FuzzParseExport starts from it.
func exportParseCases(t testing.TB) []struct {
	name string
	in   string
	ok   bool
} {
	e, _ := exportFixture(t)
	good, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	sig := `"signature":"` + strings.Repeat("A", 86) + `=="`
	return []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", s, true},
		{"empty", "", false},
		{"not json", "hello", false},
		{"two objects", s + s, false},
		{"unknown field", strings.Replace(s, `"format"`, `"extra":1,"format"`, 1), false},
		{"wrong format", strings.Replace(s, ExportFormat, "other-v9", 1), false},
		{"no terminal", `{"format":"` + ExportFormat + `","terminal_id":"","items":[],` + sig + `}`, false},
		{"long terminal", `{"format":"` + ExportFormat + `","terminal_id":"` + strings.Repeat("x", 65) + `","items":[],` + sig + `}`, false},
		{"short signature", `{"format":"` + ExportFormat + `","terminal_id":"T","items":[],"signature":"AAAA"}`, false},
		{"empty items ok", `{"format":"` + ExportFormat + `","terminal_id":"T","items":[],` + sig + `}`, true},
		{"amount not a number", strings.Replace(s, `"minor":250`, `"minor":"250"`, 1), false},
	}
}

func TestParseExportTable(t *testing.T) {
	for _, tc := range exportParseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseExport(strings.NewReader(tc.in))
			if tc.ok && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrExportMalformed) {
				t.Fatalf("error = %v, want ErrExportMalformed", err)
			}
		})
	}
}

func TestParseExportRefusesTooManyItems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"format":"` + ExportFormat + `","terminal_id":"T","signature":"` + strings.Repeat("A", 86) + `==","items":[`)
	for i := 0; i <= MaxExportItems; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{}`)
	}
	b.WriteString("]}")
	if _, err := ParseExport(strings.NewReader(b.String())); !errors.Is(err, ErrExportMalformed) {
		t.Fatalf("error = %v, want ErrExportMalformed", err)
	}
}

func FuzzParseExport(f *testing.F) {
	for _, tc := range exportParseCases(f) {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		e, err := ParseExport(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrExportMalformed) {
				t.Fatalf("error %v does not wrap ErrExportMalformed", err)
			}
			return
		}
		if e.Format != ExportFormat || e.TerminalID == "" || len(e.Items) > MaxExportItems {
			t.Fatalf("ParseExport accepted %+v", e)
		}
	})
}

package protocol

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// textCases is the table of free text; FuzzCheckText starts from it.
var textCases = []struct {
	name string
	in   string
	ok   bool
}{
	{"empty", "", true},
	{"ascii", "INV-2026/0042 #7", true},
	{"accents and euro", "Café Müller 12,50 €", true},
	{"cjk", "東京の店", true},
	{"emoji", "☕ 🥐", true},
	{"at the limit", strings.Repeat("a", 64), true},
	{"over the limit", strings.Repeat("a", 65), false},
	{"nul", "INV\x00-1", false},
	{"newline", "line\nbreak", false},
	{"tab", "a\tb", false},
	{"escape sequence", "\x1b[2J", false},
	{"del", "a\x7f", false},
	{"c1 control", "a\u0085b", false},
	{"bidi override", "abc\u202edcba", false},
	{"zero width space", "a\u200bb", false},
	{"invalid utf-8", "a\xffb", false},
	{"truncated utf-8", "caf\xc3", false},
	{"encoded replacement char", "a\uFFFDb", true},
}

func TestCheckText(t *testing.T) {
	for _, tc := range textCases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckText("reference", tc.in, 64)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckText(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err == nil {
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "reference" || !errors.Is(err, ErrInvalidField) {
				t.Fatalf("error %v does not name the field or match ErrInvalidField", err)
			}
			if !strings.HasPrefix(err.Error(), "reference ") {
				t.Fatalf("message %q does not start with the field", err)
			}
		})
	}
}

func TestCheckRequiredTextRefusesEmpty(t *testing.T) {
	if err := CheckRequiredText("name", "", 10); !errors.Is(err, ErrInvalidField) {
		t.Fatalf("empty name: %v", err)
	}
	if err := CheckRequiredText("name", "Shop", 10); err != nil {
		t.Fatal(err)
	}
}

func TestCheckID(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"T1", true},
		{"T-0001-000000042", true},
		{"a.b_c:d@e", true},
		{strings.Repeat("x", MaxIDLen), true},
		{"", false},
		{strings.Repeat("x", MaxIDLen+1), false},
		{"T1/1", false}, // '/' separates the parts of ledger references
		{"a b", false},
		{"a\x00", false},
		{"é", false},
	}
	for _, tc := range cases {
		err := CheckID("terminal_txn_id", tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("CheckID(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "terminal_txn_id") {
			t.Errorf("CheckID(%q): error %v does not name the field", tc.in, err)
		}
	}
	if err := CheckOptionalID("after_id", ""); err != nil {
		t.Fatal(err)
	}
	if err := CheckOptionalID("after_id", "a\x00"); err == nil {
		t.Fatal("optional id with NUL accepted")
	}
}

func TestCheckLinesNamesTheLine(t *testing.T) {
	err := CheckLines("receipt_header", []string{"ok", "bad\x1b"}, 8, 64)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "receipt_header[1]" {
		t.Fatalf("got %v", err)
	}
	if err := CheckLines("receipt_header", make([]string, 9), 8, 64); err == nil {
		t.Fatal("nine lines accepted")
	}
}

// FuzzCheckText: whatever CheckText accepts is bounded, valid UTF-8 and printable, and CheckID's
// accepted set is a subset of CheckText's.
func FuzzCheckText(f *testing.F) {
	for _, tc := range textCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckText("f", s, 64) == nil {
			if len(s) > 64 || !utf8.ValidString(s) {
				t.Fatalf("accepted %q", s)
			}
			for _, r := range s {
				if !unicode.IsPrint(r) {
					t.Fatalf("accepted unprintable %U in %q", r, s)
				}
			}
		}
		if CheckID("f", s) == nil && CheckText("f", s, MaxIDLen) != nil {
			t.Fatalf("an id %q that is not text", s)
		}
	})
}

package protocol

import (
	"errors"
	"fmt"
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
		if got, want := fmt.Sprint(CheckText("f", s, 64)), fmt.Sprint(referenceCheckText("f", s, 64)); got != want {
			t.Fatalf("CheckText(%q) = %s, the plain rune loop says %s", s, got, want)
		}
		if CheckID("f", s) == nil && CheckText("f", s, MaxIDLen) != nil {
			t.Fatalf("an id %q that is not text", s)
		}
	})
}

// referenceCheckText is CheckText without its ASCII fast path: every character through the rune
// loop. The fuzz test holds CheckText to its verdicts and messages.
func referenceCheckText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return fieldErr(field, "is %d bytes, at most %d", len(s), maxLen)
	}
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isBadUTF8(s[i:]):
			return fieldErr(field, "is not valid UTF-8 at byte %d", i)
		case !unicode.IsPrint(r):
			return fieldErr(field, "has the unprintable character %U at byte %d", r, i)
		}
	}
	return nil
}

func TestCheckTextMatchesReference(t *testing.T) {
	for _, tc := range textCases {
		if got, want := fmt.Sprint(CheckText("f", tc.in, 64)), fmt.Sprint(referenceCheckText("f", tc.in, 64)); got != want {
			t.Errorf("CheckText(%q) = %s, want %s", tc.in, got, want)
		}
	}
	for _, in := range []string{"abc\x7f", "ab\x00", "\x1b[2J", "caf\xc3\xa9\n", "plain ascii ~", "é\x01", "a\xff", "\u200b"} {
		if got, want := fmt.Sprint(CheckText("f", in, 64)), fmt.Sprint(referenceCheckText("f", in, 64)); got != want {
			t.Errorf("CheckText(%q) = %s, want %s", in, got, want)
		}
	}
}

func BenchmarkCheckTextPayload(b *testing.B) {
	s := strings.Repeat("SP2:6FQ5-ABCDEFGHIJ+0123456789", 12) // a QR payload's length, base45-like
	for b.Loop() {
		if err := CheckText("payload", s, 4096); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFieldProblemOfNoError: every accepted field of every request passes through FieldProblem with
// a nil error; that must cost nothing.
func TestFieldProblemOfNoError(t *testing.T) {
	if p := FieldProblem(nil); p != nil {
		t.Fatalf("FieldProblem(nil) = %+v", p)
	}
	if n := testing.AllocsPerRun(100, func() { _ = FieldProblem(nil) }); n != 0 {
		t.Fatalf("FieldProblem(nil) makes %.0f allocations", n)
	}
	if p := FieldProblem(CheckID("terminal_id", "")); p == nil || p.Field != "terminal_id" || p.Code != CodeInvalidField {
		t.Fatalf("FieldProblem of a field error: %+v", p)
	}
}

package config

import "testing"

func TestDecimalSeparator(t *testing.T) {
	for _, tc := range []struct {
		locale string
		want   byte
		bad    bool
	}{
		{"", '.', false}, {"C", '.', false}, {"en", '.', false}, {"en-US", '.', false}, {"en_GB.UTF-8", '.', false},
		{"de", ',', false}, {"de-DE", ',', false}, {"de_AT.UTF-8", ',', false}, {"de-CH", '.', false}, {"fr-FR", ',', false},
		{"zh-CN", '.', false}, {"pt_BR", ',', false},
		{"d", 0, true}, {"german", 0, true}, {"de-D3", 0, true}, {"../x", 0, true},
	} {
		got, err := DecimalSeparator(tc.locale)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("DecimalSeparator(%q) = %q, %v; want %q (error %v)", tc.locale, got, err, tc.want, tc.bad)
		}
	}
}

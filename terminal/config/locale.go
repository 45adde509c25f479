package config

import (
	"fmt"
	"strings"
)

// commaLanguages write amounts with a decimal comma ("4,20").
var commaLanguages = map[string]bool{
	"bg": true, "cs": true, "da": true, "de": true, "el": true, "es": true, "et": true, "fi": true, "fr": true,
	"hr": true, "hu": true, "id": true, "it": true, "lt": true, "lv": true, "nb": true, "nl": true, "nn": true,
	"no": true, "pl": true, "pt": true, "ro": true, "ru": true, "sk": true, "sl": true, "sr": true, "sv": true,
	"tr": true, "uk": true, "vi": true,
}

// pointRegions write a decimal point although their language is in commaLanguages.
var pointRegions = map[string]bool{"CH": true, "LI": true}

// DecimalSeparator returns the decimal separator of a locale (console.locale): ',' or '.'. The
// empty locale and "C"/"POSIX" use '.'. A tag that is not language[-REGION] is an error.
func DecimalSeparator(locale string) (byte, error) {
	if locale == "" || locale == "C" || locale == "POSIX" {
		return '.', nil
	}
	tag, _, _ := strings.Cut(locale, ".") // de_DE.UTF-8 as in $LANG
	tag = strings.ReplaceAll(tag, "_", "-")
	lang, region, _ := strings.Cut(tag, "-")
	if !letters(lang, 2, 3) || (region != "" && !letters(region, 2, 3)) {
		return 0, fmt.Errorf("config: locale %q is not a language tag such as de-DE", locale)
	}
	if commaLanguages[strings.ToLower(lang)] && !pointRegions[strings.ToUpper(region)] {
		return ',', nil
	}
	return '.', nil
}

func letters(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

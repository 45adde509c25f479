package scanner

// aimPrefixLen is the length of an AIM symbology identifier: ']' + code
// character + modifier character (ISO/IEC 15424).
const aimPrefixLen = 3

// ParseAIM splits an optional AIM symbology identifier such as "]Q1" (QR),
// "]C0" (Code 128) or "]E0" (EAN-13) off the front of data. The code
// character is a letter and the modifier a digit or letter. When data does
// not start with a well-formed identifier, ok is false and rest is data.
// rest shares data's backing array.
func ParseAIM(data []byte) (symbology string, rest []byte, ok bool) {
	if len(data) < aimPrefixLen || data[0] != ']' || !isASCIILetter(data[1]) || !isASCIIAlnum(data[2]) {
		return "", data, false
	}
	return string(data[:aimPrefixLen]), data[aimPrefixLen:], true
}

func isASCIILetter(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') }

func isASCIIAlnum(b byte) bool { return isASCIILetter(b) || (b >= '0' && b <= '9') }

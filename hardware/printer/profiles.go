package printer

import "github.com/stillpay/stillpay/hardware/escpos"

// Profile describes a printer model: paper width, columns, native QR, code
// pages, CJK mode, status support. It is the escpos type, so a profile
// looked up here drives the encoder and the receipt layout directly.
type Profile = escpos.Profile

// LookupProfile returns a built-in profile (see ProfileNames and
// docs/hardware.md).
func LookupProfile(name string) (Profile, error) { return escpos.LookupProfile(name) }

// ProfileNames lists the built-in profiles.
func ProfileNames() []string { return escpos.ProfileNames() }

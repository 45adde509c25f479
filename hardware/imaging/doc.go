// Package imaging decodes QR codes from camera frames and image files with
// gozxing, and offers them as a scanner.Source so that the terminal can read
// a customer's code with a camera instead of a serial scanner.
//
// Decode prepares a frame the way a camera pipeline needs: it crops to a
// region of interest, converts to luminance and downscales large frames
// (about 640 px is enough for a phone screen held at a counter and keeps a
// decode in a few milliseconds), then tries the normal and the inverted
// image, because gozxing's ALSO_INVERTED hint does nothing for QR codes and
// some wallet apps show light-on-dark codes. Results carry the same AIM
// symbology identifier (]Q1 ...) as a hardware scanner.
package imaging

package imaging

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif"  // camera snapshots and test images come as GIF, JPEG or PNG
	_ "image/jpeg" // "
	_ "image/png"  // "
	"io"
	"os"
)

// Limits applied before an image is decoded, so that a hostile or broken
// file cannot exhaust memory.
const (
	MaxFileBytes = 32 << 20 // 32 MiB
	MaxPixels    = 40 << 20 // 40 megapixels
)

// DecodeFile reads a PNG, JPEG or GIF file and decodes the QR code in it.
func DecodeFile(path string, opts Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("imaging: %w", err)
	}
	defer f.Close()
	res, err := DecodeReader(f, opts)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// LoadImage reads at most MaxFileBytes from r and decodes the image after
// checking its dimensions against MaxPixels.
func LoadImage(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("imaging: reading image: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrImageTooLarge, MaxFileBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s of %dx%d", ErrEmptyImage, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("%w: %s of %dx%d pixels, limit %d", ErrImageTooLarge, format, cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	return img, nil
}

// DecodeReader decodes the QR code in the image read from r.
func DecodeReader(r io.Reader, opts Options) (Result, error) {
	img, err := LoadImage(r)
	if err != nil {
		return Result{}, err
	}
	return Decode(img, opts)
}

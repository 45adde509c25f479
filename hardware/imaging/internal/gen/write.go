package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	qrcode "github.com/skip2/go-qrcode"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
)

// ManifestEntry describes one generated image in manifest.json.
type ManifestEntry struct {
	File string `json:"file"`
	Text string `json:"text,omitempty"` // "" means the image holds no code
	Desc string `json:"desc"`
}

// ManifestName is the index of the generated images.
const ManifestName = "manifest.json"

// Encode renders a scene and encodes it as PNG or JPEG.
func Encode(s Scene) ([]byte, string, error) {
	img, err := Render(s)
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	if s.JPEG > 0 {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: s.JPEG})
		return buf.Bytes(), ".jpg", err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err = enc.Encode(&buf, img)
	return buf.Bytes(), ".png", err
}

// Write renders every scene into dir and writes the manifest.
func Write(dir string, scenes []Scene) ([]ManifestEntry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var manifest []ManifestEntry
	for _, s := range scenes {
		data, ext, err := Encode(s)
		if err != nil {
			return nil, fmt.Errorf("gen: %s: %w", s.Name, err)
		}
		name := s.Name + ext
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, err
		}
		manifest = append(manifest, ManifestEntry{File: name, Text: s.Text, Desc: describe(s)})
	}
	return manifest, WriteManifest(dir, manifest)
}

// WriteManifest writes dir/manifest.json.
func WriteManifest(dir string, manifest []ManifestEntry) error {
	data, err := json.MarshalIndent(manifest, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestName), append(data, '\n'), 0o644)
}

// ReadManifest loads dir/manifest.json.
func ReadManifest(dir string) ([]ManifestEntry, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m []ManifestEntry
	return m, json.Unmarshal(data, &m)
}

func describe(s Scene) string {
	d := fmt.Sprintf("%dx%d module=%.1fpx", s.W, s.H, s.ModulePx)
	add := func(cond bool, f string, a ...any) {
		if cond {
			d += " " + fmt.Sprintf(f, a...)
		}
	}
	add(s.Rotate != 0, "rotate=%.0f", s.Rotate)
	add(s.Tilt != 0 || s.Skew != 0, "perspective=%.2f/%.2f", s.Tilt, s.Skew)
	add(s.Blur != 0, "blur=%.1f", s.Blur)
	add(s.Noise != 0, "noise=%.0f", s.Noise)
	add(s.Dark != 0 || s.Light != 0, "levels=%.0f/%.0f", s.Dark, s.Light)
	add(s.Inverted, "inverted")
	add(s.Phone, "phone")
	add(s.Busy, "busy")
	add(s.Color, "colour")
	add(s.Lighting != 0, "lighting=%.2f", s.Lighting)
	add(s.Glare != 0, "glare=%.2f", s.Glare)
	add(s.JPEG != 0, "jpeg=%d", s.JPEG)
	return d
}

// Frame640 renders the benchmark frame: a 640x480 camera-like grey frame
// with a stillpay code on a phone, slightly rotated, tilted and noisy.
func Frame640(seed uint64) (image.Image, string, error) {
	s := Scene{
		Name: "bench", W: 640, H: 480, Text: StillpayPayload(seed), Level: qrcode.Medium,
		ModulePx: 5, Rotate: 8, Tilt: 0.06, Phone: true, Noise: 4, Blur: 0.4, Seed: seed,
	}
	img, err := Render(s)
	return img, s.Text, err
}

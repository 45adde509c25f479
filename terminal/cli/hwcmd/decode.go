package hwcmd

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/hardware/imaging"
)

// decodeReport is one line of `posagent decode --json`.
type decodeReport struct {
	File      string `json:"file"`
	OK        bool   `json:"ok"`
	Text      string `json:"text,omitempty"`
	Symbology string `json:"symbology,omitempty"`
	Inverted  bool   `json:"inverted,omitempty"`
	Error     string `json:"error,omitempty"`
}

// DecodeCommand returns `decode FILE...`: print the QR code read from each
// image, or why nothing was read. It exits non-zero when any file had no
// readable code, so a technician's script can test a camera snapshot.
func DecodeCommand() *cobra.Command {
	var (
		asJSON    bool
		maxSide   int
		crop      string
		noInvert  bool
		retrySide int
		budget    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "decode FILE...",
		Short: "Read QR codes from image files (PNG, JPEG, GIF)",
		Long: `Decode prints what the QR decoder reads from each image, with the AIM
symbology identifier a hardware scanner would send (]Q1 ...), or why it read
nothing. Use it to check a camera: save a snapshot and decode it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := imaging.Options{MaxSide: maxSide, TryInverted: !noInvert, RetrySide: retrySide, Budget: budget}
			if crop != "" {
				r, err := parseRect(crop)
				if err != nil {
					return err
				}
				opts.Crop = r
			}
			failed := runDecode(cmd.OutOrStdout(), args, opts, asJSON)
			if failed > 0 {
				cmd.SilenceUsage = true
				return fmt.Errorf("%d of %d images had no readable QR code", failed, len(args))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	cmd.Flags().IntVar(&maxSide, "max-side", imaging.DefaultMaxSide, "downscale so the longer side is at most this many pixels (-1: never)")
	cmd.Flags().IntVar(&retrySide, "retry-side", imaging.DefaultRetrySide, "when the downscaled pass fails, decode again with the longer side at most this (0: no retry)")
	cmd.Flags().DurationVar(&budget, "budget", 0, "stop trying after this much time per image (0: no bound)")
	cmd.Flags().StringVar(&crop, "crop", "", "decode only the rectangle x0,y0,x1,y1 (pixels)")
	cmd.Flags().BoolVar(&noInvert, "no-invert", false, "do not try light-on-dark codes")
	return cmd
}

func runDecode(w io.Writer, files []string, opts imaging.Options, asJSON bool) (failed int) {
	enc := json.NewEncoder(w)
	for _, f := range files {
		res, err := imaging.DecodeFile(f, opts)
		rep := decodeReport{File: f, OK: err == nil, Text: res.Text, Symbology: res.Symbology, Inverted: res.Inverted}
		if err != nil {
			failed++
			rep.Error = err.Error()
		}
		if asJSON {
			_ = enc.Encode(rep)
			continue
		}
		switch {
		case err != nil:
			fmt.Fprintf(w, "%s: no code: %v\n", f, err)
		case res.Inverted:
			fmt.Fprintf(w, "%s: %s %q (inverted)\n", f, res.Symbology, res.Text)
		default:
			fmt.Fprintf(w, "%s: %s %q\n", f, res.Symbology, res.Text)
		}
	}
	return failed
}

func parseRect(s string) (image.Rectangle, error) {
	var r image.Rectangle
	if _, err := fmt.Sscanf(s, "%d,%d,%d,%d", &r.Min.X, &r.Min.Y, &r.Max.X, &r.Max.Y); err != nil {
		return image.Rectangle{}, fmt.Errorf("--crop %q: want x0,y0,x1,y1: %w", s, err)
	}
	if r.Empty() {
		return image.Rectangle{}, fmt.Errorf("--crop %q: empty rectangle", s)
	}
	return r, nil
}

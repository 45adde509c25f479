package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/wallet"
)

func (a *app) codeCommand() *cobra.Command {
	var pngFile, offerID string
	var raw, light bool
	cmd := &cobra.Command{
		Use:   "code",
		Short: "Show the next one-time payment code as a QR code (never uses the network)",
		Long: `code moves the counter forward, saves it, and only then shows the code, so no code is ever
shown twice. A code is good for 30 to 60 seconds; ask for a new one rather than reuse it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			var c wallet.Code
			if offerID != "" {
				c, err = w.NextCodeWithOffer(offerID)
			} else {
				c, err = w.NextCode()
			}
			if err != nil {
				return err
			}
			if pngFile != "" {
				if err := writePNG(pngFile, c.Text); err != nil {
					return err
				}
			}
			if raw {
				_, err := fmt.Fprintln(a.stdout, c.Text)
				return err
			}
			art, err := terminalQR(c.Text, light)
			if err != nil {
				return err
			}
			fmt.Fprint(a.stdout, art)
			// People count from 1: the first code is "code 1 of 10" (its counter in the payload is 0).
			fmt.Fprintf(a.stdout, "code %d of %d, %d left, show it before %s\n", c.Counter+1, c.Counter+1+c.CodesLeft, c.CodesLeft, c.ValidUntil.Local().Format("15:04:05"))
			if pngFile != "" {
				fmt.Fprintf(a.stdout, "written to %s\n", pngFile)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pngFile, "png", "", "also write the QR code as a PNG image to this file")
	cmd.Flags().BoolVar(&raw, "raw", false, "print only the payload text")
	cmd.Flags().BoolVar(&light, "light", false, "draw for a terminal with a light background")
	cmd.Flags().StringVar(&offerID, "offer", "", "carry this held offer (wallet offers) in the code")
	return cmd
}

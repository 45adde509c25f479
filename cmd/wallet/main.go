// Command wallet is the customer's phone as a command-line program, for development and tests: it
// logs in, gets an offline authorization, shows one-time payment codes as QR codes, and pays
// merchant-presented orders (`wallet pay`). The logic is in wallet and wallet/cli; this command
// only wires them to the process. `wallet pay --image` decodes camera images with hardware/imaging,
// the gozxing decoder posagent's camera uses: the wallet may not depend on image code (a real phone
// app decodes with its own camera stack and hands the wallet the text), so the decoder is wired in here.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/wallet/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, cli.Env{Getenv: os.Getenv, DecodeImage: decodeImage})
	stop()
	os.Exit(code)
}

// decodeImage is the phone's camera stack for `wallet pay --image`.
func decodeImage(path string) (string, error) {
	res, err := imaging.DecodeStillFile(path)
	return res.Text, err
}

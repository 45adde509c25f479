package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/wallet"
)

// app is what every subcommand shares: the streams and the wallet opened from --home.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	home, caFile   string
	verbose        bool
	env            func(string) string
	decodeImage    func(path string) (string, error)
}

func (a *app) open() (*wallet.Wallet, error) {
	home := a.home
	if home == "" {
		var err error
		if home, err = wallet.DefaultHome(); err != nil {
			return nil, err
		}
	}
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	caFile := a.caFile
	if caFile == "" {
		caFile = a.env(CAFileEnv)
	}
	hc, err := tlsca.HTTPClient(caFile, wallet.DefaultHTTPTimeout)
	if err != nil {
		return nil, err
	}
	return wallet.New(wallet.Config{Store: wallet.DirStore{Home: home}, Logger: log, HTTPClient: hc}), nil
}

// CAFileEnv names the environment variable that sets --ca-file.
const CAFileEnv = "STILLPAY_CA_FILE"

// Env is what the command line takes from the program around it.
type Env struct {
	// Getenv reads an environment variable (os.Getenv in the binary).
	Getenv func(string) string
	// DecodeImage reads the QR code in an image file for `wallet pay --image`. It stands for the
	// phone's camera stack: the binary wires in hardware/imaging, so the wallet holds no image code.
	DecodeImage func(path string) (string, error)
}

// Run executes the wallet command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, env: env.Getenv, decodeImage: env.DecodeImage}
	root := &cobra.Command{
		Use:   "wallet",
		Short: "The stillpay customer wallet: offline payment codes as QR codes",
		Long: `wallet is the customer's phone as a command-line program.

  wallet login --server URL --user ID        log in (password from --password-file, $STILLPAY_PASSWORD or a prompt)
  wallet authorize --account ID --cap 20.00  get an offline authorization (first approval)
  wallet code                                show the next one-time payment code (no network)
  wallet status                              limits, codes left, expiry
  wallet revoke                              end the authorization at the server (lost phone)
  wallet logout                              forget the login
  wallet pay --image FILE | --text PAYLOAD   pay a merchant-presented order (flow 2)
  wallet settings --offers on                receive offers (off by default); --opt-out MERCHANT
  wallet inbox [--wait 25s]                  fetch offer messages; wallet offers lists them

State lives in --home (default $STILLPAY_WALLET_HOME or ~/.stillpay-wallet), files mode 0600.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.home, "home", "", "wallet state directory (default $STILLPAY_WALLET_HOME or ~/.stillpay-wallet)")
	root.PersistentFlags().StringVar(&a.caFile, "ca-file", "", "PEM file of the CA that signed the server's certificate (default $"+CAFileEnv+")")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log what the wallet does to stderr")
	root.AddCommand(a.loginCommand(), a.authorizeCommand(), a.codeCommand(), a.statusCommand(), a.payCommand(),
		a.inboxCommand(), a.offersCommand(), a.settingsCommand(), a.revokeCommand(), a.logoutCommand())
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		err = tlsca.Explain(err, "pass --ca-file with the CA that signed it")
		msg := err.Error()
		if !strings.HasPrefix(msg, "wallet: ") {
			msg = "wallet: " + msg
		}
		fmt.Fprintln(stderr, msg)
		return 1
	}
	return 0
}

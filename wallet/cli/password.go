package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/stillpay/stillpay/shared/keyfile"
)

// PasswordEnv names the environment variable a password may come from (for scripts and tests).
const PasswordEnv = "STILLPAY_PASSWORD"

// maxPasswordFile bounds what --password-file reads.
const maxPasswordFile = 4 << 10

// password reads the password from the file, else the environment, else a prompt on the terminal.
func (a *app) password(file string) (string, error) {
	if file == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, maxPasswordFile))
		if err != nil {
			return "", fmt.Errorf("password from standard input: %w", err)
		}
		if p := strings.TrimRight(string(b), "\r\n"); p != "" {
			return p, nil
		}
		return "", errors.New("no password on standard input")
	}
	if file != "" {
		b, err := keyfile.ReadSecret(file, maxPasswordFile)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if p := a.env(PasswordEnv); p != "" {
		return p, nil
	}
	fmt.Fprint(a.stderr, "password: ")
	line, err := readHidden(a.stdin)
	fmt.Fprintln(a.stderr)
	if err != nil || line == "" {
		return "", errors.New("no password: use --password-file, $" + PasswordEnv + " or type it")
	}
	return line, nil
}

// Command posagent is the stillpay terminal agent. See terminal/cli for its commands.
package main

import (
	"os"

	"github.com/stillpay/stillpay/terminal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Command settlementd is the stillpay settlement server and its operator tools; see server/cli.
package main

import (
	"os"

	"github.com/stillpay/stillpay/server/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}

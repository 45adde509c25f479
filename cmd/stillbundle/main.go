// Command stillbundle builds, signs and verifies posagent install bundles. See terminal/bundle and terminal/bundle/bundlecmd.
package main

import (
	"fmt"
	"os"

	"github.com/stillpay/stillpay/terminal/bundle/bundlecmd"
)

func main() {
	if err := bundlecmd.Command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "stillbundle:", err)
		os.Exit(1)
	}
}

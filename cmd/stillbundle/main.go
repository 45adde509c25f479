// Command stillbundle builds, signs and verifies posagent install bundles. See internal/release.
package main

import (
	"fmt"
	"os"

	"github.com/stillpay/stillpay/internal/release/bundlecmd"
)

func main() {
	if err := bundlecmd.Command().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "stillbundle:", err)
		os.Exit(1)
	}
}

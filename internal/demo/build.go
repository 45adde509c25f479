package demo

import (
	"context"
	"path/filepath"
)

// Binaries are the programs a Lab runs, built from the module's cmd/ directory.
var Binaries = []string{"settlementd", "posagent", "wallet"}

// BuildBinaries builds Binaries with the go command into dir, for tests that start a Lab from
// source; the error carries the compiler's output.
func BuildBinaries(ctx context.Context, dir string) error {
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, b := range Binaries {
		args = append(args, "github.com/stillpay/stillpay/cmd/"+b)
	}
	_, err := run(ctx, "go", args...)
	return err
}

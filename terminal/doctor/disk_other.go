//go:build !(linux || darwin)

package doctor

import "errors"

func statfsDiskSpace(string) (uint64, uint64, error) {
	return 0, 0, errors.New("free space is not measured on this platform")
}

package loadtest

import (
	"io"
	"os"
	"path/filepath"
)

// CopyKeys copies what every instance on one database must hold alike from one instance's data
// directory to another's (created): the signing keys (terminals verify approvals with them), the seal
// key (one-time-code secrets in the database are sealed with it) and the admin token. An embedded
// store file is not copied. Files are created 0600 and never overwritten.
func CopyKeys(from, to string) error {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil || rel == "stillpay.db" {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
}

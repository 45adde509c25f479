package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/backup"
	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store/boltstore"
)

func newAdminBackupCmd(f *adminFlags) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy the running server's embedded store and its key files into FILE (a tar), while it serves",
		Long: `Ask the running settlementd for a backup: a consistent copy of the embedded store made in one read
transaction while payments go on, followed by the key files it needs (keys/, seal.key, and vapid.key when Web Push is on) as they are on
disk. The archive is read through and checked before it is kept, written 0600 next to FILE first and
renamed into place. Keep it as secret as the data directory. Restore it with 'settlementd admin
restore'. A server on PostgreSQL answers that its database is backed up with PostgreSQL's tools
(docs/scaling.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("backup needs --to FILE")
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			n, err := downloadBackup(cmd.Context(), to, func(w io.Writer) (int64, error) { return c.Backup(cmd.Context(), w) })
			if err != nil {
				return err
			}
			out := struct {
				File  string `json:"file"`
				Bytes int64  `json:"bytes"`
			}{to, n}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) { fmt.Fprintf(w, "backup written to %s (%d bytes)\n", to, n) })
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the archive to write (refused if it exists)")
	return cmd
}

// downloadBackup writes fetch's archive to path.partial (0600), verifies it, fsyncs it and renames
// it to path. An existing path is refused; a failed download leaves nothing behind.
func downloadBackup(ctx context.Context, path string, fetch func(io.Writer) (int64, error)) (int64, error) {
	if _, err := os.Stat(path); err == nil {
		return 0, fmt.Errorf("%s exists; choose a new file", path)
	}
	tmp := path + ".partial"
	fh, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if err != nil {
		return 0, err
	}
	ok := false
	defer func() {
		if !ok {
			fh.Close()
			os.Remove(tmp)
		}
	}()
	n, err := fetch(fh)
	if err != nil {
		return n, err
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return n, err
	}
	if err := backup.Verify(fh); err != nil {
		return n, fmt.Errorf("the downloaded archive is not complete (the server log says why): %w", err)
	}
	if err := fh.Sync(); err != nil {
		return n, err
	}
	if err := fh.Close(); err != nil {
		return n, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return n, err
	}
	ok = true
	return n, nil
}

func newAdminRestoreCmd(f *adminFlags) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from FILE --data DIR",
		Short: "Unpack a backup into a new data directory and check its ledger (no server needed)",
		Long: `Unpack an archive made by 'settlementd admin backup' into DIR, which must be new or empty, then open
the restored keys, seal key and store and run the checks of 'admin check' on it: the command fails
unless the ledger is consistent. Start settlementd on DIR afterwards (a new admin token is made).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data := f.data
			if from == "" || data == "" {
				return errors.New("restore needs --from FILE and --data DIR")
			}
			fh, err := os.Open(from)
			if err != nil {
				return err
			}
			defer fh.Close()
			if err := backup.Restore(fh, data); err != nil {
				return err
			}
			r, err := checkDataDir(cmd.Context(), data)
			if err != nil {
				return err
			}
			return f.printCheck(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the archive made by 'admin backup'")
	// --data (the admin group's flag) names the new data directory.
	return cmd
}

// checkDataDir opens a data directory's keys, seal key and embedded store and checks the ledger.
func checkDataDir(ctx context.Context, data string) (admin.CheckReport, error) {
	ring, err := keys.Open(filepath.Join(data, keysDirName), nil)
	if err != nil {
		return admin.CheckReport{}, err
	}
	sealer, err := keys.OpenSealer(filepath.Join(data, sealKeyName))
	if err != nil {
		return admin.CheckReport{}, err
	}
	st, err := boltstore.Open(data, boltstore.Options{})
	if err != nil {
		return admin.CheckReport{}, err
	}
	defer st.Close()
	svc, err := service.New(service.Config{Store: st, Keys: ring, Sealer: sealer})
	if err != nil {
		return admin.CheckReport{}, err
	}
	return svc.Check(ctx)
}

package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/store/boltstore"
)

// errDataInUse: a command that needs the server stopped found it running.
var errDataInUse = errors.New("the data directory is in use")

func newKeysCmd() *cobra.Command {
	var data string
	group := &cobra.Command{
		Use:   "keys",
		Short: "Manage the server signing keys in a data directory (server stopped; use 'admin rotate-key' while it runs)",
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			if data == "" {
				return errors.New("--data DIR is required (or SETTLEMENTD_DATA)")
			}
			return nil
		},
	}
	group.PersistentFlags().StringVar(&data, "data", "", "data directory")
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Create a new signing key and make it current; older keys keep verifying",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			busy, err := boltstore.InUse(data)
			if err != nil {
				return err
			}
			if busy {
				return fmt.Errorf("%w: %s is held by a running settlementd; rotate with: settlementd admin rotate-key", errDataInUse, data)
			}
			r, err := keys.Open(filepath.Join(data, keysDirName), nil)
			if err != nil {
				return err
			}
			k, err := r.Rotate()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new current key %s (a running server picks it up at its next start)\n", k.KeyID)
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := keys.Open(filepath.Join(data, keysDirName), nil)
			if err != nil {
				return err
			}
			for _, k := range r.Public() {
				cur := ""
				if k.Current {
					cur = " (current)"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s created %s%s\n", k.KeyID, k.Created.Format("2006-01-02 15:04:05 MST"), cur)
			}
			return nil
		},
	}
	group.AddCommand(rotate, list)
	return group
}

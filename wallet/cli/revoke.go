package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) revokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke",
		Short: "Revoke the offline authorization at the server and forget its secret (a lost or replaced phone)",
		Long: `revoke ends the stored authorization: the server refuses online payments with it at once,
offline approvals made before now still settle, and the unused hold is released after the settlement
grace. The wallet forgets the code secret, so it shows no code afterwards (wallet authorize for a new one).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			r, err := w.Revoke(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "authorization %s revoked at %s; no more codes on this phone\n", r.AuthorizationID,
				r.RevokedAt.Local().Format("2006-01-02 15:04:05"))
			return nil
		},
	}
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the login (the authorization's offline codes stay; revoke first to end them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := a.open()
			if err != nil {
				return err
			}
			if err := w.Logout(); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, "logged out")
			return nil
		},
	}
}

package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) loginCommand() *cobra.Command {
	var server, user, passwordFile string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to the settlement server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, err := a.password(passwordFile)
			if err != nil {
				return err
			}
			w, err := a.open()
			if err != nil {
				return err
			}
			s, err := w.Login(cmd.Context(), server, user, password)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "logged in as %s at %s (session until %s)\n", s.UserID, s.ServerURL, s.ExpiresAt.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "settlement server URL, e.g. http://127.0.0.1:8080")
	cmd.Flags().StringVar(&user, "user", "", "user id")
	cmd.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file (mode 0600), or - for standard input")
	cmd.MarkFlagRequired("server")
	cmd.MarkFlagRequired("user")
	return cmd
}

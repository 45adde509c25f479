package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/keysync"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/shared/tlsca"
)

type adminFlags struct {
	server, tokenFile, data, caFile string
	json                            bool
}

// client builds the admin client from the flags: --token-file, else DATA/admin.token with --data.
func (f *adminFlags) client() (*admin.Client, error) {
	path := f.tokenFile
	if path == "" && f.data != "" {
		path = filepath.Join(f.data, adminTokenFileName)
	}
	if path == "" {
		return nil, errors.New("say where the admin token is: --token-file FILE or --data DIR (or SETTLEMENTD_TOKEN_FILE / SETTLEMENTD_DATA)")
	}
	tok, err := admin.LoadToken(path)
	if err != nil {
		return nil, err
	}
	hc, err := tlsca.HTTPClient(f.caFile, admin.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	return &admin.Client{BaseURL: f.server, Token: tok, HTTP: hc}, nil
}

// print writes v as indented JSON with --json, else as text.
func (f *adminFlags) print(w io.Writer, v any, text func(io.Writer)) error {
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

func newAdminCmd() *cobra.Command {
	f := &adminFlags{}
	cmd := groupCmd("admin", "Operate a running settlementd through its admin API")
	cmd.Long = `Operate a running settlementd through its admin API. The client finds the server with --server
(SETTLEMENTD_SERVER) and the token with --token-file (SETTLEMENTD_TOKEN_FILE), or --data DIR for
DIR/admin.token on the server's own machine; --ca-file (SETTLEMENTD_CA_FILE) trusts a private CA.
--json prints the answer as JSON.`
	// cmd is the subcommand being run; its flag set holds the inherited persistent flags too.
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return bindEnv(cmd) }
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", defaultServerURL, "settlementd base URL")
	pf.StringVar(&f.tokenFile, "token-file", "", "admin token file (default DATA/admin.token with --data)")
	pf.StringVar(&f.data, "data", "", "the server's data directory, to find admin.token")
	pf.StringVar(&f.caFile, "ca-file", "", "PEM file of the CA that signed settlementd's certificate (a private CA)")
	pf.BoolVar(&f.json, "json", false, "print JSON")
	cmd.AddCommand(
		newAdminMerchantCmd(f), newAdminTerminalCmd(f), newAdminUserCmd(f), newAdminAccountCmd(f),
		newAdminBalancesCmd(f), newAdminTransactionsCmd(f), newAdminAuthorizationsCmd(f),
		newAdminRevokeCmd(f), newAdminUnlockCmd(f), newAdminCheckCmd(f), newAdminRotateKeyCmd(f), newAdminImportCmd(f),
		newAdminBackupCmd(f),
	)
	cmd.AddCommand(newAdminMigrateCmd(f), newAdminCopyStoreCmd(f), newAdminRestoreCmd(f)) // direct store access, no server
	return cmd
}

func newAdminMerchantCmd(f *adminFlags) *cobra.Command {
	group := groupCmd("merchant", "Merchants")
	var req admin.MerchantRequest
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a merchant and its settlement account",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			m, err := c.AddMerchant(cmd.Context(), req)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), m, func(w io.Writer) {
				fmt.Fprintf(w, "merchant %s (%s) added, settlement account %s in %s\n", m.ID, m.Name, m.AccountID, m.Currency)
			})
		},
	}
	add.Flags().StringVar(&req.MerchantID, "id", "", "merchant id (required)")
	add.Flags().StringVar(&req.Name, "name", "", "merchant name, printed on receipts (required)")
	add.Flags().StringVar(&req.Currency, "currency", "EUR", "ISO 4217 currency of the settlement account")
	add.Flags().StringArrayVar(&req.ReceiptHeader, "receipt-line", nil, "a receipt header line (repeat for more)")
	add.Flags().StringVar(&req.MCC, "mcc", "", "merchant category code (ISO 18245, four digits), for offer screening")
	add.MarkFlagRequired("id")
	add.MarkFlagRequired("name")
	group.AddCommand(add, newAdminMerchantTokenCmd(f), newAdminListMerchantsCmd(f))
	return group
}

func newAdminUserCmd(f *adminFlags) *cobra.Command {
	group := groupCmd("user", "Wallet users")
	var req admin.UserRequest
	var passwordFile string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a wallet user (the password is stored as an argon2id hash)",
		Long:  "Add a wallet user. Give the password with --password-file FILE, or on standard input with --password-file -, so it stays out of the shell history and the process list.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if req.Password, err = readPassword(cmd.InOrStdin(), passwordFile); err != nil {
				return err
			}
			u, err := c.AddUser(cmd.Context(), req)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), u, func(w io.Writer) { fmt.Fprintf(w, "user %s added\n", u.UserID) })
		},
	}
	add.Flags().StringVar(&req.UserID, "id", "", "user id (required)")
	add.Flags().StringVar(&req.Name, "name", "", "display name")
	add.Flags().StringVar(&passwordFile, "password-file", "", "file holding the password, or - for standard input (required)")
	add.MarkFlagRequired("id")
	add.MarkFlagRequired("password-file")
	group.AddCommand(add, newAdminListUsersCmd(f))
	return group
}

// maxPasswordInput bounds what readPassword reads.
const maxPasswordInput = 4 << 10

func readPassword(stdin io.Reader, path string) (string, error) {
	var r io.Reader
	switch path {
	case "":
		return "", errors.New("--password-file FILE (or - for standard input) is required")
	case "-":
		r = stdin
	default:
		fh, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer fh.Close()
		r = fh
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxPasswordInput))
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(raw), "\r\n"), nil
}

func newAdminAccountCmd(f *adminFlags) *cobra.Command {
	group := groupCmd("account", "Funding accounts")
	var req admin.AccountRequest
	var opening, currency string
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a customer funding account with an opening balance",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if req.OpeningBalance, err = money.Parse(opening, currency, money.ParseOptions{AllowZero: true}); err != nil {
				return fmt.Errorf("--opening %q: %w", opening, err)
			}
			b, err := c.AddAccount(cmd.Context(), req)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), b, func(w io.Writer) {
				fmt.Fprintf(w, "account %s added for user %s, balance %s\n", b.AccountID, b.OwnerID, b.Balance)
			})
		},
	}
	add.Flags().StringVar(&req.AccountID, "id", "", "account id (required)")
	add.Flags().StringVar(&req.UserID, "user", "", "owner user id (required)")
	add.Flags().StringVar(&opening, "opening", "0", "opening balance, e.g. 100.00")
	add.Flags().StringVar(&currency, "currency", "EUR", "ISO 4217 currency")
	add.MarkFlagRequired("id")
	add.MarkFlagRequired("user")
	group.AddCommand(add)
	return group
}

func newAdminBalancesCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "balances",
		Short: "Show accounts and balances",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			b, err := c.Balances(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), b, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ACCOUNT\tKIND\tOWNER\tBALANCE")
				for _, a := range b.Accounts {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.AccountID, a.Kind, a.OwnerID, a.Balance)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&lf.OwnerID, "owner", "", "only accounts of this user, merchant or authorization")
	cmd.Flags().StringVar(&lf.Kind, "kind", "", "only this kind: customer, merchant, hold, system")
	cmd.Flags().StringVar(&lf.AfterID, "after", "", "page: accounts after this id")
	cmd.Flags().IntVar(&lf.Limit, "limit", 0, fmt.Sprintf("page size (default %d, at most %d)", store.DefaultPageSize, store.MaxPageSize))
	return cmd
}

func newAdminTransactionsCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "transactions",
		Short: "Show terminal transactions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			t, err := c.Transactions(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), t, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SEQ\tTERMINAL\tTXN\tKIND\tSTATUS\tAMOUNT\tCODE\tAPPROVAL")
				for _, x := range t.Transactions {
					kind := string(x.Kind)
					if x.Offline {
						kind += "/offline"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Seq, x.TerminalID, x.TerminalTxnID, kind, x.Status, x.Amount, x.Code, x.ApprovalCode)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&lf.TerminalID, "terminal", "", "only this terminal's")
	cmd.Flags().StringVar(&lf.MerchantID, "merchant", "", "only this merchant's")
	cmd.Flags().StringVar(&lf.UserID, "user", "", "only this user's")
	cmd.Flags().StringVar(&lf.AuthorizationID, "authorization", "", "only this authorization's")
	cmd.Flags().IntVar(&lf.Limit, "limit", 0, fmt.Sprintf("how many (default %d, at most %d)", store.DefaultPageSize, store.MaxPageSize))
	cmd.Flags().Uint64Var(&lf.BeforeSeq, "before-seq", 0, "the next page: transactions below this SEQ (the last one shown)")
	return cmd
}

func newAdminAuthorizationsCmd(f *adminFlags) *cobra.Command {
	var lf admin.ListFilter
	cmd := &cobra.Command{
		Use:   "authorizations",
		Short: "Show first approvals (offline credentials) and their holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			a, err := c.Authorizations(cmd.Context(), lf)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), a, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "AUTHORIZATION\tUSER\tACCOUNT\tCAP\tCODES USED\tHOLD\tHOLD LEFT\tEXPIRES\tREVOKED")
				for _, x := range a.Authorizations {
					revoked := ""
					if !x.RevokedAt.IsZero() {
						revoked = x.RevokedAt.Format("2006-01-02 15:04")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", x.AuthorizationID, x.UserID, x.AccountID, x.CapPerPayment,
						x.UsedCodes, x.MaxCodes, x.Hold, x.HoldLeft, x.ExpiresAt.Format("2006-01-02 15:04"), revoked)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&lf.UserID, "user", "", "only this user's")
	cmd.Flags().StringVar(&lf.AccountID, "account", "", "only this account's")
	pageFlags(cmd, &lf)
	return cmd
}

func newAdminRevokeCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:       "revoke terminal|authorization ID",
		Short:     "Revoke a terminal or an authorization",
		Args:      cobra.ExactArgs(2),
		ValidArgs: []string{admin.RevokeTerminal, admin.RevokeAuthorization},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			r, err := c.Revoke(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), r, func(w io.Writer) {
				fmt.Fprintf(w, "%s %s revoked at %s\n", r.Kind, r.ID, r.RevokedAt.Format("2006-01-02 15:04:05 MST"))
			})
		},
	}
}

func newAdminUnlockCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "unlock user|terminal|login|source ID",
		Short: "Clear the failed-code counters of a user or terminal, or the failed logins of a user id or of a client address (IPv4, or the IPv6 /64 as 2001:db8:1:2::)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if err := c.Unlock(cmd.Context(), store.SubjectKind(args[0]), args[1]); err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), admin.UnlockRequest{Kind: store.SubjectKind(args[0]), ID: args[1]}, func(w io.Writer) {
				fmt.Fprintf(w, "%s %s unlocked\n", args[0], args[1])
			})
		},
	}
}

// checkFailed makes `admin check` exit 2 when the ledger is inconsistent.
type checkFailed struct{ problems int }

func (c checkFailed) Error() string {
	return fmt.Sprintf("the ledger check found %d problem(s)", c.problems)
}
func (checkFailed) ExitCode() int { return 2 }

func newAdminCheckCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Verify the ledger: balances sum to zero, every entry balances, no negative balance, indexes agree",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			r, err := c.Check(cmd.Context())
			if err != nil {
				return err
			}
			return f.printCheck(cmd.OutOrStdout(), r)
		},
	}
}

// printCheck prints a check report; the error is checkFailed when the ledger is not consistent.
func (f *adminFlags) printCheck(out io.Writer, r admin.CheckReport) error {
	err := f.print(out, r, func(w io.Writer) {
		verdict := "OK"
		if !r.OK {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "ledger check %s: %d accounts, %d entries, %d transactions, %d authorizations, %d used codes\n",
			verdict, r.Accounts, r.Entries, r.Transactions, r.Authorizations, r.UsedCodes)
		for _, cur := range slices.Sorted(maps.Keys(r.Totals)) {
			fmt.Fprintf(w, "  sum of balances in %s: %d\n", cur, r.Totals[cur])
		}
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  problem: %s\n", p)
		}
	})
	if err == nil && !r.OK {
		return checkFailed{problems: len(r.Problems)}
	}
	return err
}

func newAdminRotateKeyCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-key",
		Short: "Make a new server signing key current (old keys keep verifying)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			k, err := c.RotateKey(cmd.Context())
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), k, func(w io.Writer) {
				if k.Current {
					fmt.Fprintf(w, "new current key %s\n", k.KeyID)
					return
				}
				fmt.Fprintf(w, "new key %s announced to every instance on the database; each signs with it after %d key-sync intervals (serve --key-sync)\n", k.KeyID, keysync.AnnounceRounds)
			})
		},
	}
}

func newAdminImportCmd(f *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Apply a signed export file carried from a terminal that cannot reach the server",
		Long: `Apply a terminal's signed export file (format stillpay-export-v1). The server checks the terminal's
signature and applies the items exactly like a batch from that terminal, under the same idempotency keys:
if the terminal later forwards the same items, nothing settles twice. Import before revoking the terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			fh, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer fh.Close()
			e, err := protocol.ParseExport(fh)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			r, err := c.Import(cmd.Context(), e)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), r, func(w io.Writer) {
				fmt.Fprintf(w, "imported %d items from terminal %s: %d settled or already settled, %d declined\n", r.Items, r.TerminalID, r.Approved, r.Declined)
				for _, it := range r.Results {
					if it.Status == protocol.StatusDeclined {
						fmt.Fprintf(w, "  %s declined: %s %s\n", it.TerminalTxnID, it.Code, it.Message)
					}
				}
			})
		},
	}
}

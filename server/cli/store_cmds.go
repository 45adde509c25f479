package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/storeopen"
)

// copyChunk is how many records copy-store hands to one Import call (one transaction).
const copyChunk = 1000

// addStoreFlag registers --store, which chooses the store settlementd runs on.
func addStoreFlag(fl *pflag.FlagSet, p *string) {
	fl.StringVar(p, "store", "", "the store: empty for the embedded one in --data, a directory, or postgres://user@host:5432/db?sslmode=require (default $"+storeopen.EnvSpec+")")
}

// openStore opens the store spec (or $STILLPAY_STORE) names, by default the embedded one in data.
func openStore(ctx context.Context, spec, data string, log *slog.Logger) (store.Store, error) {
	spec = storeopen.Resolve(spec)
	st, err := storeopen.Open(ctx, spec, data, log)
	if err != nil {
		return nil, fmt.Errorf("open the store (%s): %w", storeopen.Describe(spec, data), err)
	}
	log.Info("store opened", "store", storeopen.Describe(spec, data))
	return st, nil
}

func newAdminMigrateCmd(f *adminFlags) *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring a PostgreSQL store's schema up to date, without starting the server",
		Long: `Apply the schema migrations built into this binary to the PostgreSQL database named
by --store (or $STILLPAY_STORE). settlementd serve does the same at start, under a lock so that several
instances may start at once; run this when you want schema changes as a separate deployment step.
The embedded store has no separate schema: there is nothing to do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := storeopen.Resolve(spec)
			kind, err := storeopen.Parse(spec)
			if err != nil {
				return err
			}
			if kind != storeopen.Postgres {
				return errors.New("--store (or $" + storeopen.EnvSpec + ") must name a postgres:// database; the embedded store needs no migration")
			}
			applied, err := storeopen.Migrate(cmd.Context(), spec, nil)
			if err != nil {
				return err
			}
			out := struct {
				Store   string `json:"store"`
				Applied []int  `json:"applied"`
			}{storeopen.Describe(spec, ""), applied}
			return f.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				if len(applied) == 0 {
					fmt.Fprintf(w, "%s: schema is up to date\n", out.Store)
					return
				}
				fmt.Fprintf(w, "%s: applied migrations %v\n", out.Store, applied)
			})
		},
	}
	addStoreFlag(cmd.Flags(), &spec)
	return cmd
}

// copyReport is what copy-store prints.
type copyReport struct {
	From    string       `json:"from"`
	To      string       `json:"to"`
	Records int          `json:"records"`
	Source  store.Report `json:"source_check"`
	Copy    store.Report `json:"copy_check"`
}

func newAdminCopyStoreCmd(f *adminFlags) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy-store --from DIR --to postgres://...",
		Short: "Copy an embedded store into an empty PostgreSQL database, checking both sides",
		Long: `Copy every record of a store into another, empty one: the way from one machine (the embedded store
in a data directory) to many instances on PostgreSQL. Stop settlementd on the source
first. The source is checked before the copy and the copy after it (the checks of 'admin check');
the command fails unless both pass and agree on every count and total. Copy the data directory's
keys/, seal.key and admin.token to the new instances too: the store holds no keys.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return errors.New("copy-store needs --from and --to")
			}
			rep, err := copyStore(cmd.Context(), from, to)
			if err != nil {
				return err
			}
			return f.print(cmd.OutOrStdout(), rep, func(w io.Writer) {
				fmt.Fprintf(w, "copied %d records from %s to %s\n", rep.Records, rep.From, rep.To)
				fmt.Fprintf(w, "check passed on both: %d accounts, %d entries, %d transactions, %d authorizations, %d used codes\n",
					rep.Copy.Accounts, rep.Copy.Entries, rep.Copy.Txns, rep.Copy.Authorizations, rep.Copy.UsedCodes)
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "source: a data directory holding "+boltstore.FileName+" (or a postgres:// URL)")
	cmd.Flags().StringVar(&to, "to", "", "destination: an empty postgres:// database (or an empty directory)")
	return cmd
}

func copyStore(ctx context.Context, from, to string) (copyReport, error) {
	rep := copyReport{From: storeopen.Describe(from, ""), To: storeopen.Describe(to, "")}
	if kind, err := storeopen.Parse(from); err != nil {
		return rep, err
	} else if kind == storeopen.Bolt {
		// Opening would create an empty store: a mistyped path must not copy nothing successfully.
		if _, err := os.Stat(filepath.Join(from, boltstore.FileName)); err != nil {
			return rep, fmt.Errorf("--from %s: no store there: %w", from, err)
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	src, err := storeopen.Open(ctx, from, "", quiet)
	if err != nil {
		return rep, fmt.Errorf("--from %s (is settlementd still running on it?): %w", rep.From, err)
	}
	defer src.Close()
	dst, err := storeopen.Open(ctx, to, "", quiet)
	if err != nil {
		return rep, fmt.Errorf("--to %s: %w", rep.To, err)
	}
	defer dst.Close()
	if err := requireEmpty(ctx, dst); err != nil {
		return rep, fmt.Errorf("--to %s: %w", rep.To, err)
	}
	if rep.Source, err = src.Check(ctx); err != nil {
		return rep, fmt.Errorf("the source fails its check; fix it before copying: %w", err)
	}
	chunk := make([]store.Record, 0, copyChunk)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if err := dst.Import(ctx, chunk); err != nil {
			return fmt.Errorf("import records %d..%d: %w", rep.Records-len(chunk)+1, rep.Records, err)
		}
		chunk = chunk[:0]
		return nil
	}
	err = src.Export(ctx, func(r store.Record) error {
		chunk = append(chunk, r)
		rep.Records++
		if len(chunk) == copyChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return rep, fmt.Errorf("copy (the destination is incomplete: empty it before trying again): %w", err)
	}
	if rep.Copy, err = dst.Check(ctx); err != nil {
		return rep, fmt.Errorf("the copy fails its check: %w", err)
	}
	if err := sameLedger(rep.Source, rep.Copy); err != nil {
		return rep, err
	}
	return rep, nil
}

// requireEmpty refuses a destination that already holds records: a copy merged into another ledger
// could not be checked against its source.
func requireEmpty(ctx context.Context, s store.Store) error {
	empty := true
	errFull := errors.New("not empty")
	err := s.Export(ctx, func(store.Record) error {
		empty = false
		return errFull
	})
	if err != nil && !errors.Is(err, errFull) {
		return err
	}
	if !empty {
		return errors.New("the destination store is not empty")
	}
	return nil
}

func sameLedger(src, dst store.Report) error {
	if src.Accounts != dst.Accounts || src.Entries != dst.Entries || src.Txns != dst.Txns ||
		src.Authorizations != dst.Authorizations || src.UsedCodes != dst.UsedCodes || !maps.Equal(src.Totals, dst.Totals) {
		return fmt.Errorf("the copy differs from the source: source %s, copy %s", summary(src), summary(dst))
	}
	return nil
}

func summary(r store.Report) string {
	cur := slices.Sorted(maps.Keys(r.Totals))
	return fmt.Sprintf("%d accounts, %d entries, %d txns, %d authorizations, %d used codes, totals %v",
		r.Accounts, r.Entries, r.Txns, r.Authorizations, r.UsedCodes, cur)
}

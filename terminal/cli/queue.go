package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/forwarder"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/queue"
)

func queueCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Inspect and manage the store-and-forward queue (through the agent, or the file when it is stopped)",
	}
	var state string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List queued and refused items (--state all|queued|settled|refused|declined|approved)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withQueue(cmd.Context(), func(c *localapi.Client) error {
				items, err := c.Queue(cmd.Context(), state)
				if err != nil {
					return err
				}
				return printItems(cmd.OutOrStdout(), items, asJSON)
			}, func(store queue.Store, _ config.IdentityState, _ config.Config) error {
				items, err := localapi.ListQueue(cmd.Context(), store, state, 1<<20)
				if err != nil {
					return err
				}
				return printItems(cmd.OutOrStdout(), items, asJSON)
			})
		},
	}
	list.Flags().StringVar(&state, "state", "", "only items in this state; default queued and refused")
	list.Flags().BoolVar(&asJSON, "json", false, "print as JSON")

	show := &cobra.Command{
		Use:   "show TXN_ID",
		Short: "Show one item",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			print := func(it localapi.QueueItem) error { return printJSON(cmd.OutOrStdout(), it) }
			return g.withQueue(cmd.Context(), func(c *localapi.Client) error {
				it, err := c.QueueItem(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return print(it)
			}, func(store queue.Store, _ config.IdentityState, _ config.Config) error {
				return store.View(cmd.Context(), func(tx queue.Tx) error {
					r, err := tx.Get(args[0])
					if err != nil {
						return err
					}
					return print(localapi.ItemOf(r))
				})
			})
		},
	}

	retry := &cobra.Command{
		Use:   "retry TXN_ID",
		Short: "Put a refused item back into the outbox, under the same id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			done := func(it localapi.QueueItem) error {
				fmt.Fprintf(cmd.OutOrStdout(), "%s is queued again\n", it.TxnID)
				return nil
			}
			return g.withQueue(cmd.Context(), func(c *localapi.Client) error {
				it, err := c.Retry(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return done(it)
			}, func(store queue.Store, _ config.IdentityState, _ config.Config) error {
				r, err := forwarder.Retry(cmd.Context(), store, args[0], time.Now())
				if err != nil {
					return err
				}
				return done(localapi.ItemOf(r))
			})
		},
	}

	var outPath string
	export := &cobra.Command{
		Use:   "export -o FILE",
		Short: "Write the outbox as a signed file for `settlementd admin import FILE`",
		Long: "Writes every queued item, signed with the terminal key, for a technician to carry to the server\n" +
			"(settlementd admin import FILE). The items stay queued: if this terminal later forwards them too,\n" +
			"the server settles each one once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			write := func(e protocol.Export) error {
				data, err := json.MarshalIndent(e, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(outPath, append(data, '\n'), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %d item(s) of terminal %s to %s; on the server run: settlementd admin import %s\n",
					len(e.Items), e.TerminalID, outPath, outPath)
				return nil
			}
			return g.withQueue(cmd.Context(), func(c *localapi.Client) error {
				e, err := c.Export(cmd.Context())
				if err != nil {
					return err
				}
				return write(e)
			}, func(store queue.Store, id config.IdentityState, cfg config.Config) error {
				key, err := keyfile.Load(cfg.Identity.KeyFile)
				if err != nil {
					return err
				}
				e, err := forwarder.Export(cmd.Context(), store, id.TerminalID, key, time.Now())
				if err != nil {
					return err
				}
				return write(e)
			})
		},
	}
	export.Flags().StringVarP(&outPath, "output", "o", "", "file to write (required)")
	export.MarkFlagRequired("output")

	cmd.AddCommand(list, show, retry, export, pruneCommand(g))
	return cmd
}

func pruneCommand(g *globals) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "prune [--dry-run]",
		Short: "Remove final records older than queue.keep_settled and seen codes that can no longer matter",
		Long: "Removes settled, approved, declined and cancelled records whose last change is older than\n" +
			"queue.keep_settled, and seen payment codes whose credential has expired. Queued, open and refused\n" +
			"items are never removed. The running agent does this every hour; --dry-run only counts.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			return g.withQueue(cmd.Context(), func(c *localapi.Client) error {
				res, err := c.Prune(cmd.Context(), dryRun)
				if err != nil {
					return err
				}
				return printPruned(out, res)
			}, func(store queue.Store, _ config.IdentityState, cfg config.Config) error {
				res, err := queue.Prune(cmd.Context(), store, queue.PruneOptions{KeepSettled: cfg.Queue.KeepSettled, Now: time.Now(), DryRun: dryRun})
				if err != nil {
					return err
				}
				return printPruned(out, res)
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be removed; remove nothing")
	return cmd
}

// printPruned says what a prune removed: counts only, never a record.
func printPruned(w io.Writer, res queue.PruneResult) error {
	verb := "removed"
	if res.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(w, "%s %d record(s) (settled %d, approved %d, declined %d, cancelled %d) and %d seen code(s)\n",
		verb, res.Records, res.ByState[queue.StateSettled], res.ByState[queue.StateApproved],
		res.ByState[queue.StateDeclined], res.ByState[queue.StateCancelled], res.SeenCodes)
	if res.HeldRefused > 0 {
		fmt.Fprintf(w, "kept %d refused item(s) past the retention period: they wait for a technician (posagent queue list --state refused)\n", res.HeldRefused)
	}
	return nil
}

// withQueue runs viaAPI against the running agent, or direct on the queue file when no agent runs.
func (g *globals) withQueue(ctx context.Context, viaAPI func(*localapi.Client) error, direct func(queue.Store, config.IdentityState, config.Config) error) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	c, err := localapi.ClientFor(cfg.LocalAPI)
	if err != nil {
		return err
	}
	err = viaAPI(c)
	if !errors.Is(err, localapi.ErrAgentDown) {
		return err
	}
	id, err := config.LoadIdentity(cfg.Identity.StateFile)
	if err != nil {
		return err
	}
	store, err := queue.OpenBolt(cfg.Queue.Path, id.TerminalID)
	if err != nil {
		return err
	}
	defer store.Close()
	return direct(store, id, cfg)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printItems(w io.Writer, items []localapi.QueueItem, asJSON bool) error {
	if asJSON {
		return printJSON(w, items)
	}
	if len(items) == 0 {
		fmt.Fprintln(w, "nothing queued")
		return nil
	}
	fmt.Fprintf(w, "%-28s %-8s %-9s %14s %4s  %s\n", "TXN", "KIND", "STATE", "AMOUNT", "TRY", "NOTE")
	for _, it := range items {
		note := it.LastError
		if note == "" {
			note = it.Result
		}
		if it.TargetTxnID != "" {
			note = "voids " + it.TargetTxnID + " " + note
		}
		fmt.Fprintf(w, "%-28s %-8s %-9s %14s %4d  %s\n", it.TxnID, it.Kind, it.State, it.Amount, it.Attempts, note)
	}
	return nil
}

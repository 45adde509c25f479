package cli

import (
	"github.com/stillpay/stillpay/shared/tlsca"
	"github.com/stillpay/stillpay/terminal/pin"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/hardware/imaging"
	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/shared/supervise"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/forwarder"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
	"github.com/stillpay/stillpay/terminal/serverkeys"
)

func runCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "Run the agent: scanner, printer, sales, local API and forwarding",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			log := newLogger(cfg.Log, cmd.ErrOrStderr())
			return runAgent(cmd.Context(), cfg, log)
		},
	}
}

// identityAndKey loads what provision wrote.
func identityAndKey(cfg config.Config) (config.IdentityState, []byte, error) {
	id, err := config.LoadIdentity(cfg.Identity.StateFile)
	if err != nil {
		return id, nil, err
	}
	key, err := keyfile.Load(cfg.Identity.KeyFile)
	if err != nil {
		return id, nil, fmt.Errorf("terminal key: %w (run posagent provision --force to make a new identity)", err)
	}
	return id, key, nil
}

func serverURL(cfg config.Config, id config.IdentityState) string {
	if cfg.Server.URL != "" {
		return cfg.Server.URL
	}
	return id.ServerURL
}

// runAgent wires everything and serves until ctx ends or a part fails. It returns the failure that
// stopped it, joined with any error closing the agent, the devices and the queue, which close in that
// order once every part has returned.
func runAgent(ctx context.Context, cfg config.Config, log *slog.Logger) (err error) {
	id, key, err := identityAndKey(cfg)
	if err != nil {
		return err
	}
	var closers closeStack
	defer func() { err = errors.Join(err, closers.close(log)) }()
	store, err := queue.OpenBolt(cfg.Queue.Path, id.TerminalID)
	if err != nil {
		return fmt.Errorf("cannot start: %w", err)
	}
	closers.push("queue", store.Close)
	if id.SeqFloor > 0 {
		if err := store.Update(ctx, func(tx queue.Tx) error { return tx.RaiseSeq(id.SeqFloor) }); err != nil {
			return fmt.Errorf("cannot start: queue: %w", err)
		}
	}

	tlsCfg, err := tlsca.Config(cfg.Server.CAFile)
	if err != nil {
		return fmt.Errorf("server.ca_file: %w", err)
	}
	api := client.New(client.Options{BaseURL: serverURL(cfg, id), TerminalID: id.TerminalID, Key: key, Timeout: cfg.Server.Timeout, Logger: log, TLS: tlsCfg})
	closers.push("server client", func() error { api.CloseIdleConnections(); return nil })
	prn, err := openPrinter(ctx, cfg.Printer, log)
	if err != nil {
		log.Warn("printer unavailable; sales go on and receipts can be reprinted", "err", err)
	}
	if prn != nil {
		closers.push("printer", prn.Close)
	}
	src, err := openSource(ctx, cfg.Scanner, log)
	if err != nil {
		return fmt.Errorf("scanner: %w", err)
	}
	if src != nil {
		closers.push("scanner", src.Close)
	}

	// One keyring for sales, offline checks and the forwarder: keys learned from a server rotation
	// are saved to the identity file and used by all three at once.
	keys := serverkeys.New(serverkeys.Options{Trusted: id.ServerKeys, Server: api, Logger: log,
		Save: func(k []protocol.ServerKey) error { return config.SaveServerKeys(cfg.Identity.StateFile, k) }})
	opts := agent.Options{
		Store: store, Server: api, Orders: api, Stickers: api, Verifier: &offline.Verifier{Keys: keys, Limits: id.Limits, Enabled: cfg.Offline.Enabled},
		Source: src, Identity: id, Keys: keys, Receipt: cfg.Receipt, Currency: cfg.Sale.Currency, ScanTimeout: cfg.Sale.ScanTimeout, SaleBudget: cfg.Sale.WaitBudget,
		PrintTimeout: cfg.Printer.PrinterDriver().JobTimeout(), Logger: log,
		KeepSettled: cfg.Queue.KeepSettled, Returns: api,
	}
	if cfg.Refunds.PINHash != "" {
		h, err := pin.Parse(cfg.Refunds.PINHash)
		if err != nil {
			return fmt.Errorf("cannot start: refunds.pin_hash: %w", err)
		}
		opts.PIN = h
	}
	if prn != nil {
		opts.Printer = prn
	}
	ag := agent.New(opts)
	// The agent closes before the devices and the queue it uses (closers run last pushed first).
	closers.push("agent", func() error { ag.Close(); return nil })
	if _, err := ag.Recover(ctx); err != nil {
		return fmt.Errorf("cannot start: closing the previous run's sales: %w", err)
	}
	// Orders left waiting (a restart, a power cut) are asked for again; one paid meanwhile prints now.
	if _, err := ag.ResumeOrders(ctx); err != nil {
		return fmt.Errorf("cannot start: resuming the previous run's orders: %w", err)
	}
	fwd := forwarder.New(forwarder.Options{Store: store, Server: api, Keys: keys, Interval: cfg.Forwarder.Interval,
		MaxBackoff: cfg.Forwarder.MaxBackoff, BatchSize: cfg.Forwarder.BatchSize, Logger: log, Answered: ag.ServerAnswered,
		BackOnline: func(ctx context.Context) { keys.RefreshIfDue(ctx, "the server is reachable again") }})

	var apiToken string
	if cfg.LocalAPI.TokenFile != "" {
		if apiToken, err = localapi.LoadToken(cfg.LocalAPI.TokenFile); err != nil {
			return fmt.Errorf("cannot start: %w", err)
		}
	}
	handler := localapi.NewServer(localapi.Deps{
		Agent: ag, Store: store, Forwarder: fwd, Currency: cfg.Sale.Currency, Version: version, Logger: log,
		Listen: cfg.LocalAPI.Listen, Token: apiToken,
		Export: func(ctx context.Context) (protocol.Export, error) {
			return forwarder.Export(ctx, store, id.TerminalID, key, time.Now())
		},
		Scanner: func() string {
			if src == nil {
				return "none"
			}
			return src.State().String()
		},
		Printer: func(ctx context.Context) string { return printerStatus(ctx, prn, ag) },
	})

	// Every long-lived part runs in one group: the first to fail (the local API cannot listen, the
	// scanner source closed) stops the others, and the closers above run only once all returned.
	g, gctx := supervise.New(ctx)
	g.Go("local API", func(ctx context.Context) error { return serveLocalAPI(ctx, cfg.LocalAPI.Listen, handler, log) })
	g.Go("scanner", ag.Run)
	g.Go("forwarder", func(ctx context.Context) error { fwd.Run(ctx); return nil })
	g.Go("retention", func(ctx context.Context) error { ag.RunRetention(ctx); return nil })
	g.Task("sticker feed", func(ctx context.Context) error { ag.RunStickerFeed(ctx); return nil })
	// Learn a rotation made while the terminal was off before the next offline check needs it; the
	// sale path does not wait for this (the terminal may start offline).
	g.Task("key refresh", func(ctx context.Context) error { keys.RefreshIfDue(ctx, "start-up"); return nil })
	log.Info("posagent running", "terminal", id.TerminalID, "local_api", cfg.LocalAPI.Listen, "queue", cfg.Queue.Path, "version", version)
	<-gctx.Done()
	log.Info("posagent stopping", "cause", context.Cause(gctx).Error())
	if err := g.Wait(); err != nil {
		log.Error("posagent stopped by a failure", "err", err)
		return fmt.Errorf("stopped: %w", err)
	}
	log.Info("posagent stopped")
	return nil
}

// localAPIShutdownTimeout bounds how long a stopping agent waits for local API requests in flight
// (long polls answer at once: localapi.Server.Drain).
const localAPIShutdownTimeout = 10 * time.Second

// serveLocalAPI listens on addr and serves h until ctx ends, then shuts down gracefully. A listen or
// serve failure, or a shutdown that did not finish in time, is returned.
func serveLocalAPI(ctx context.Context, addr string, h *localapi.Server, log *slog.Logger) error {
	l, err := localapi.Listen(addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	srv.RegisterOnShutdown(h.Drain)
	return supervise.HTTP(ctx, srv, l, localAPIShutdownTimeout)
}

// printerStatus asks the printer, or tells why there is none.
func printerStatus(ctx context.Context, prn printer.Printer, ag *agent.Agent) string {
	if prn == nil {
		return "unavailable"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	st, err := prn.Status(ctx)
	switch {
	case err != nil:
		return "error: " + err.Error()
	case st.Unknown:
		return "unknown (no status answer); last print: " + ag.Stats().PrinterStatus()
	case st.Err() != nil:
		return st.Err().Error()
	}
	return "ready"
}

func openPrinter(ctx context.Context, c config.Printer, log *slog.Logger) (printer.Printer, error) {
	if c.Type == config.PrinterNone {
		return nil, nil
	}
	return printer.Open(ctx, c.PrinterDriver(), log)
}

func openSource(ctx context.Context, c config.Scanner, log *slog.Logger) (scanner.Source, error) {
	switch c.Type {
	case config.ScannerSerial:
		return scanner.Open(ctx, c.ScannerDriver(), log)
	case config.ScannerImages:
		return imaging.NewDirSource(c.Dir, c.Decode.DecodeOptions(), false, log)
	}
	return nil, nil
}

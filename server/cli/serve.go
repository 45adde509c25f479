package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/api"
	"github.com/stillpay/stillpay/server/backup"
	"github.com/stillpay/stillpay/server/keys"
	"github.com/stillpay/stillpay/server/keysync"
	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/storeopen"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/supervise"
)

// Files in the data directory besides the store.
const (
	keysDirName        = "keys"
	sealKeyName        = "seal.key"
	adminTokenFileName = "admin.token"
	defaultListen      = "127.0.0.1:8080"
	defaultServerURL   = "http://" + defaultListen
)

type serveFlags struct {
	metricsListen                                           string
	data, listen, tlsCert, tlsKey, adminTokenFile, addrFile string
	logFormat, logLevel                                     string
	grace                                                   time.Duration
	offers                                                  service.OfferPolicy
	store                                                   string // --store: "" is the embedded store in data
	gcPercent                                               int
	passwordHashes, passwordQueue                           int
	allowPlainPasswords                                     bool
	keySync                                                 time.Duration
	pushContact                                             string
	cpuProfile                                              string
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the settlement server on the embedded store in --data",
		Long: `Run the settlement server. On first start it creates, in --data (mode 0700):
  stillpay.db   the embedded store (bbolt)
  keys/         the server's Ed25519 signing keys (0600; rotate with 'settlementd admin rotate-key')
  seal.key      the key that encrypts one-time-code secrets at rest (0600)
  admin.token   the admin API token (0600), unless --admin-token-file names another file
  vapid.key     with --push-contact: the VAPID key that signs Web Push requests (0600)
With --store postgres://... (or $STILLPAY_STORE) the ledger lives in PostgreSQL instead, shared by
any number of instances (docs/scaling.md); the keys stay in --data. Several hosts with
target_session_attrs=read-write follow a failover: postgres://u@db1:5432,db2:5432/stillpay?target_session_attrs=read-write
Every flag can also be set as an environment variable: --data is SETTLEMENTD_DATA, and so on.
SIGINT or SIGTERM shut down gracefully: in-flight requests finish first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := bindEnv(cmd); err != nil {
				return err
			}
			if err := applyGCPercent(cmd, f.gcPercent); err != nil {
				return err
			}
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data directory (required)")
	addStoreFlag(fl, &f.store)
	fl.StringVar(&f.listen, "listen", defaultListen, "address to listen on, host:port")
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve /metrics on this address only (plain HTTP, e.g. 10.0.0.5:9464), not on --listen (env SETTLEMENTD_METRICS_LISTEN)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key serves HTTPS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fl.StringVar(&f.adminTokenFile, "admin-token-file", "", "admin token file, created 0600 if missing (default DATA/admin.token)")
	fl.StringVar(&f.addrFile, "addr-file", "", "write the address actually listened on to this file (useful with --listen 127.0.0.1:0)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	addGCFlag(fl, &f.gcPercent)
	fl.BoolVar(&f.allowPlainPasswords, "allow-plain-passwords", false, "accept passwords over plain HTTP from other hosts (only behind a TLS-terminating proxy); without TLS they are accepted only from loopback")
	fl.IntVar(&f.passwordHashes, "password-hashes", service.DefaultPasswordHashes, "argon2id password hashes run at once (19 MiB each); logins beyond wait")
	fl.IntVar(&f.passwordQueue, "password-queue", service.DefaultPasswordQueue, "logins waiting for a password hash; beyond this they are answered 503 with Retry-After")
	fl.DurationVar(&f.keySync, "key-sync", keysync.DefaultPoll, "on a shared database: how often to look for signing keys other instances announced; a rotated key becomes current "+fmt.Sprint(keysync.AnnounceRounds)+" of these after 'admin rotate-key'")
	fl.DurationVar(&f.grace, "settlement-grace", service.DefaultPolicy().SettlementGrace, "how long unused holds stay after expiry or revocation, for late offline batches")
	addOfferFlags(fl, &f.offers)
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to this file until shutdown; SIGUSR1 starts it over (for measurements: docs/benchmarks.md; 'settlementd bench --server-cpuprofile' uses both)")
	fl.StringVar(&f.pushContact, "push-contact", "", "send Web Push notifications of new offers to web wallets, with this contact for push services (mailto:ops@example.com or an https URL; VAPID key in DATA/vapid.key); empty: no push")
	return cmd
}

func runServe(cmd *cobra.Command, f serveFlags) (err error) {
	if f.data == "" {
		return errors.New("--data DIR is required (or SETTLEMENTD_DATA)")
	}
	log, err := newLogger(cmd.ErrOrStderr(), f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	if f.cpuProfile != "" {
		prof, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer prof.stop()
		defer restartProfileOnSignal(prof, log)()
	}
	tokenFile := f.adminTokenFile
	if tokenFile == "" {
		tokenFile = filepath.Join(f.data, adminTokenFileName)
	}
	pol := service.DefaultPolicy()
	pol.SettlementGrace = f.grace
	pol.Offers = f.offers
	app, err := openApp(cmd.Context(), f.data, f.store, tokenFile, f.keySync, f.pushContact,
		service.Config{Policy: pol, PasswordHashes: f.passwordHashes, PasswordQueue: f.passwordQueue},
		api.Config{AllowPlainPasswords: f.allowPlainPasswords, MetricsElsewhere: f.metricsListen != ""}, log)
	if err != nil {
		return err
	}
	// The store closes last, after every part that uses it has returned; its error is reported.
	defer func() {
		if cerr := app.close(); cerr != nil {
			log.Error("closing the store failed", "err", cerr)
			err = errors.Join(err, fmt.Errorf("closing the store: %w", cerr))
		}
	}()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if f.addrFile != "" {
		if err := os.WriteFile(f.addrFile, []byte(addr+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	if f.tlsCert == "" {
		warnPlainHTTP(log, addr, f.allowPlainPasswords)
	}
	var mln net.Listener
	if f.metricsListen != "" {
		// Bound before the address file is read by anyone: a scrape right after start finds it.
		if mln, err = net.Listen("tcp", f.metricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-listen: %w", err)
		}
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	// Every long-lived part runs in one group: the first to fail stops the others, and the store
	// closes (deferred above) only once all of them returned.
	g, gctx := supervise.New(cmd.Context())
	g.Go("http", func(ctx context.Context) error {
		return api.Serve(ctx, app.handler, api.ServeConfig{Listener: ln, TLSCert: f.tlsCert, TLSKey: f.tlsKey, Log: log})
	})
	g.Go("sweeper", func(ctx context.Context) error { app.svc.RunSweeper(ctx); return nil })
	if app.keySync != nil {
		g.Go("key sync", func(ctx context.Context) error { app.keySync.Run(ctx); return nil })
	}
	if mln != nil {
		g.Go("metrics listener", func(ctx context.Context) error {
			msrv := &http.Server{Handler: app.handler.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
			return supervise.HTTP(ctx, msrv, mln, metricsShutdownTimeout)
		})
	}
	keyID, _ := app.ring.Current()
	log.Info("settlementd listening", "addr", addr, "tls", f.tlsCert != "", "data", f.data, "key_id", keyID, "admin_token_file", tokenFile)
	<-gctx.Done()
	log.Info("settlementd stopping", "cause", context.Cause(gctx).Error())
	if err := g.Wait(); err != nil {
		log.Error("settlementd stopped by a failure", "err", err)
		return fmt.Errorf("stopped: %w", err)
	}
	log.Info("settlementd stopped")
	return nil
}

// metricsShutdownTimeout bounds how long the metrics listener waits for a scrape in flight.
const metricsShutdownTimeout = 5 * time.Second

// warnPlainHTTP says loudly, at start, that settlementd serves without TLS: sessions tokens, admin
// tokens and terminal requests cross the network in clear.
func warnPlainHTTP(log *slog.Logger, addr string, allowPasswords bool) {
	passwords := "passwords (login, user creation) are refused from clients that are not on this host"
	if allowPasswords {
		passwords = "passwords are accepted from any host (--allow-plain-passwords): only safe behind a TLS-terminating proxy"
	}
	log.Warn("PLAIN HTTP: settlementd serves WITHOUT TLS; session and admin tokens cross the network in clear. "+
		"Use --tls-cert and --tls-key, or a TLS-terminating proxy, for anything but a test on this host. "+passwords, "addr", addr)
}

// app is a settlementd assembled on a data directory.
type app struct {
	store   store.Store
	ring    *keys.Ring
	svc     *service.Service
	handler *api.Server
	token   string
	// keySync keeps the signing keys in step with the other instances on a shared database; nil on
	// the embedded store.
	keySync *keysync.Sync
	push    *push.Sender // nil without --push-contact
}

// openApp opens (creating on first start) the keys, the seal key, the admin token and the store in
// data, and builds the service and the handlers on them. svc and h hold the service's and the
// handlers' settings (policy, password hashing bounds, plain-HTTP passwords); openApp fills in the
// rest.
func openApp(ctx context.Context, data, storeSpec, tokenFile string, keyPoll time.Duration, pushContact string, svc service.Config, h api.Config, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	ring, err := keys.Open(filepath.Join(data, keysDirName), log)
	if err != nil {
		return nil, err
	}
	sealer, err := keys.OpenSealer(filepath.Join(data, sealKeyName))
	if err != nil {
		return nil, err
	}
	token, err := ensureAdminToken(tokenFile)
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, storeSpec, data, log)
	if err != nil {
		return nil, err
	}
	svc.Store, svc.Keys, svc.Sealer, svc.Log = st, ring, sealer, log
	var sync *keysync.Sync
	if ks, ok := st.(store.ServerKeyStore); ok {
		// Instances share this store: rotations reach all of them through it.
		sync = keysync.New(ring, ks, sealer, keyPoll, log)
		if err := sync.Start(ctx); err != nil {
			st.Close()
			return nil, err
		}
		svc.Keys = sync
	}
	var sender *push.Sender
	if pushContact != "" {
		if sender, err = startPush(ctx, data, pushContact, st, log); err != nil {
			st.Close()
			return nil, err
		}
		svc.Push = sender
	}
	s, err := service.New(svc)
	if err != nil {
		if sender != nil {
			sender.Close()
		}
		st.Close()
		return nil, err
	}
	h.Service, h.AdminTokenFile, h.Log = s, tokenFile, log
	if h.Metrics == nil {
		h.Metrics = api.NewMetrics()
		h.Metrics.SetBuildInfo(version, commit)
	}
	if h.StoreCommits == nil {
		h.StoreCommits = storeopen.CommitStats(st)
	}
	if bs, ok := st.(*boltstore.Store); ok {
		h.Backup = func(ctx context.Context, w io.Writer) error { return backup.Write(ctx, w, bs, data) }
	}
	return &app{store: st, ring: ring, svc: s, token: token, keySync: sync, push: sender,
		handler: api.New(h)}, nil
}

func (a *app) close() error {
	if a.push != nil {
		a.push.Close()
	}
	return a.store.Close()
}

// startPush loads (or creates) the VAPID key in data and starts the Web Push sender.
func startPush(ctx context.Context, data, contact string, st store.Store, log *slog.Logger) (*push.Sender, error) {
	v, err := push.LoadOrCreateVAPID(filepath.Join(data, push.VAPIDKeyFile))
	if err != nil {
		return nil, err
	}
	sender, err := push.New(push.Config{Store: st, VAPID: v, Contact: contact, Log: log})
	if err != nil {
		return nil, err
	}
	sender.Start(context.WithoutCancel(ctx))
	log.Info("web push on", "vapid_public_key", v.PublicKey())
	return sender, nil
}

// ensureAdminToken loads the admin token, creating a random one (0600) on first start.
func ensureAdminToken(path string) (string, error) {
	tok, err := admin.LoadToken(path)
	if !errors.Is(err, keyfile.ErrNotFound) {
		return tok, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if err := keyfile.WriteSecret(path, []byte(hex.EncodeToString(b)+"\n")); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return admin.LoadToken(path)
}

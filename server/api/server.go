package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/service"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Config is what a Server needs.
type Config struct {
	Service *service.Service
	// AdminTokenFile holds the token that guards /v1/admin/; the file is read again when it changes
	// (see adminToken). Without it, AdminToken is the token; with neither, or with a token shorter
	// than admin.MinTokenLen, the admin API is off (every call answers 401).
	AdminTokenFile string
	AdminToken     string
	// AllowPlainPasswords accepts passwords (login, user creation) over plain HTTP from any client;
	// without it only loopback clients may send them without TLS. For a TLS-terminating proxy on
	// another host.
	AllowPlainPasswords bool
	Log                 *slog.Logger
	// Metrics is the registry /metrics serves; nil makes a fresh one. New registers this Server's
	// series on it, so a Metrics belongs to one Server.
	Metrics *Metrics
	// StoreCommits reads the store's group-commit counters (transactions committed, write requests
	// in them), exported as settlementd_store_commits_total and settlementd_store_commit_writes_total;
	// nil (a store without group commit) exports neither. A plain function, so this package needs
	// no store's types (storeopen.CommitStats makes it).
	StoreCommits func() (commits, writes uint64)
	// MetricsElsewhere leaves /metrics off this handler: it is served on its own address
	// (serve --metrics-listen), e.g. one only the monitoring network reaches.
	MetricsElsewhere bool
	// Backup writes GET /v1/admin/backup; nil (PostgreSQL) answers 404 with where to look instead.
	Backup BackupFunc
}

// Server routes and answers HTTP requests.
type Server struct {
	svc              *service.Service
	log              *slog.Logger
	metrics          *Metrics
	adminTok         *adminToken
	plainPasswordsOK bool
	mux              *http.ServeMux
	// batchSlots holds a token per batch or import being processed (maxConcurrentBatches).
	batchSlots chan struct{}
	backup     BackupFunc
	// metricsElsewhere: /metrics is not served here (Config.MetricsElsewhere).
	metricsElsewhere bool
}

// New builds the handler tree.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Service, log: cfg.Log, metrics: cfg.Metrics, batchSlots: make(chan struct{}, maxConcurrentBatches), backup: cfg.Backup,
		metricsElsewhere: cfg.MetricsElsewhere}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	var groups func() (uint64, uint64)
	if cfg.Service != nil {
		groups = cfg.Service.GroupStats
	}
	s.metrics.exportGroups(cfg.StoreCommits, groups)
	s.adminTok = newAdminToken(cfg, s.log)
	s.plainPasswordsOK = cfg.AllowPlainPasswords
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// MetricsHandler serves the metrics registry: for a listener of its own (Config.MetricsElsewhere).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+protocol.PathMetrics, s.metrics.Handler())
	return mux
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A panic is a bug; the client still gets a problem document, and the process lives on.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeProblem(w, problem(http.StatusInternalServerError, protocol.CodeInternal, "internal error"))
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// route is one endpoint: its mux pattern, its metrics name and its handler.
type route struct {
	pattern string
	name    string
	h       http.HandlerFunc
}

func (s *Server) routes() {
	routes := []route{
		{"GET " + protocol.PathHealth, "healthz", s.health},
		{"GET " + protocol.PathReady, "readyz", s.ready},
		{"GET " + protocol.PathTime, "time", s.time},
		{"GET " + protocol.PathServerKeys, "keys", s.serverKeys},
		{"POST " + protocol.PathSessions, "sessions", s.login},
		{"POST " + protocol.PathAuthorizations, "authorizations", s.authorize},
		{"POST " + protocol.PathEnroll, "enroll", s.enroll},
		{"GET " + protocol.PathTerminalConfig, "terminal_self", s.terminal(0, s.terminalSelf)},
		{"POST " + protocol.PathTerminalSession, "terminal_session", s.terminal(protocol.MaxBodyBytes, s.terminalSession)},
		{"POST " + protocol.PathTransactions, "transactions", s.terminal(protocol.MaxBodyBytes, singleRequest(s, service.FromTransaction))},
		{"POST " + protocol.PathBatches, "batches", s.terminal(protocol.MaxBatchBodyBytes, s.batch)},
		{"POST " + protocol.PathVoids, "voids", s.terminal(protocol.MaxBodyBytes, singleRequest(s, service.FromVoid))},
		{"POST " + protocol.PathRefunds, "refunds", s.terminal(protocol.MaxBodyBytes, singleRequest(s, service.FromRefund))},

		{"POST " + admin.PathMerchants, "admin_merchants", s.admin(s.adminCreateMerchant)},
		{"GET " + admin.PathMerchants, "admin_merchants", s.admin(s.adminListMerchants)},
		{"POST " + admin.PathTerminals, "admin_terminals", s.admin(s.adminCreateTerminal)},
		{"GET " + admin.PathTerminals, "admin_terminals", s.admin(s.adminListTerminals)},
		{"POST " + admin.PathTerminalEnrollCode, "admin_terminal_enroll_code", s.admin(s.adminReissueEnrollCode)},
		{"POST " + admin.PathUsers, "admin_users", s.admin(s.adminCreateUser)},
		{"GET " + admin.PathUsers, "admin_users", s.admin(s.adminListUsers)},
		{"POST " + admin.PathAccounts, "admin_accounts", s.admin(s.adminCreateAccount)},
		{"GET " + admin.PathAccounts, "admin_accounts", s.admin(s.adminBalances)},
		{"GET " + admin.PathTransactions, "admin_transactions", s.admin(s.adminTransactions)},
		{"GET " + admin.PathAuthorizations, "admin_authorizations", s.admin(s.adminAuthorizations)},
		{"POST " + admin.PathRevocations, "admin_revocations", s.admin(s.adminRevoke)},
		{"POST " + admin.PathUnlock, "admin_unlock", s.admin(s.adminUnlock)},
		{"POST " + admin.PathCheck, "admin_check", s.admin(s.adminCheck)},
		{"POST " + admin.PathRotateKey, "admin_rotate_key", s.admin(s.adminRotateKey)},
		{"GET " + admin.PathBackup, "admin_backup", s.admin(s.adminBackup)},
		{"POST " + admin.PathImports, "admin_imports", s.admin(s.adminImport)},
	}
	for _, rt := range s.orderRoutes() {
		routes = append(routes, route(rt))
	}
	routes = append(routes, s.offerRoutes()...)
	routes = append(routes, s.pushRoutes()...)
	routes = append(routes, s.walletWebRoutes()...)
	paths := map[string]bool{}
	for _, rt := range routes {
		s.mux.Handle(rt.pattern, s.metrics.instrument(rt.name, rt.h))
		_, path, _ := strings.Cut(rt.pattern, " ")
		paths[path] = true
	}
	// A known path with another method: a problem document, not the mux's plain-text 405.
	for path := range paths {
		s.mux.Handle(path, s.metrics.instrument("other", http.HandlerFunc(s.methodNotAllowed)))
	}
	if !s.metricsElsewhere {
		s.mux.Handle("GET "+protocol.PathMetrics, s.metrics.Handler())
	}
	// Everything else: a problem document instead of the mux's plain-text 404/405.
	s.mux.Handle("/", s.metrics.instrument("other", http.HandlerFunc(s.notFound)))
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, problem(http.StatusMethodNotAllowed, protocol.CodeMethodNotAllowed, r.Method+" is not allowed here; see docs/api.md"))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, problem(http.StatusNotFound, protocol.CodeNotFound, "no such endpoint; see docs/api.md"))
}

// fail answers err: a *protocol.Problem as it is, anything else as a logged 500 without details.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *protocol.Problem
	if errors.As(err, &p) {
		writeProblem(w, p)
		return
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrClosed) {
		// The database went away (a failover) or the store is closing: the request may or may not
		// have been applied, and the same request sent again gets the stored answer or is applied
		// once. Never a 500, never a decision.
		s.log.Warn("request failed: store unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, unavailable("the database is unavailable (failing over?); send the same request again"))
		return
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeProblem(w, problem(http.StatusInternalServerError, protocol.CodeInternal, "internal error; the server log has the details"))
}

// bearer returns the token of an "Authorization: Bearer ..." header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// admin guards an operator route with the admin token, compared in constant time.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(bearer(r)))
		want, on := s.adminTok.current()
		if !on || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			writeProblem(w, problem(http.StatusUnauthorized, protocol.CodeUnauthenticated, "the admin API needs the token from the admin token file"))
			return
		}
		if p := checkQuery(r.URL.Query()); p != nil {
			writeProblem(w, p)
			return
		}
		h(w, r)
	}
}

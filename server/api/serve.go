package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the HTTP server. Terminals on slow links send batches of up to 4 MiB; the write timeout
// leaves room for a batch of 1,000 to be applied.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// BatchWriteTimeout replaces WriteTimeout for batches and imports: under load a batch of 1,000
	// waits for its turn (see maxConcurrentBatches) and its answer must still reach the terminal.
	BatchWriteTimeout = 10 * time.Minute
	// ShutdownTimeout is how long graceful shutdown waits for in-flight requests.
	ShutdownTimeout = 30 * time.Second
)

// ServeConfig says where and how to listen.
type ServeConfig struct {
	Listener net.Listener
	TLSCert  string // PEM files; both empty means plain HTTP
	TLSKey   string
	Log      *slog.Logger
}

// Serve answers requests on cfg.Listener until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to ShutdownTimeout) and returns. Everything a
// finished request reported as approved was committed before its answer was written.
func Serve(ctx context.Context, h http.Handler, cfg ServeConfig) error {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return errors.New("api: TLS needs both a certificate and a key file")
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if d, ok := h.(interface{ Drain() }); ok {
		srv.RegisterOnShutdown(d.Drain) // long-polls answer at once instead of holding shutdown
	}
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(cfg.Listener, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(cfg.Listener)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("api: serve: %w", err)
	}
	return nil
}

package supervise

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// HTTP serves srv on l until ctx ends, then shuts it down gracefully, waiting up to timeout for the
// requests in flight (srv.RegisterOnShutdown hooks run first: long polls can answer at once). It
// returns a serve failure, or a shutdown that did not finish in time; nil after a clean stop. It is
// the body of a service part: g.Go("local API", func(ctx) error { return supervise.HTTP(ctx, ...) }).
func HTTP(ctx context.Context, srv *http.Server, l net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

package api

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// BackupFunc writes a backup of the store and its key files to w (server/backup on the embedded
// store).
type BackupFunc func(ctx context.Context, w io.Writer) error

// adminBackup streams the backup archive. Once the first byte is out, a failure can only cut the
// stream short: `settlementd admin backup` reads the archive through (backup.Verify) before it
// keeps the file.
func (s *Server) adminBackup(w http.ResponseWriter, r *http.Request) {
	if s.backup == nil {
		writeProblem(w, problem(http.StatusNotFound, protocol.CodeNotFound,
			"this server runs on PostgreSQL: back it up with pg_basebackup and WAL archiving, or pg_dump (docs/scaling.md)"))
		return
	}
	// A large store takes longer than the default write timeout to copy.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(BatchWriteTimeout))
	h := w.Header()
	h.Set("Content-Type", "application/x-tar")
	h.Set("Cache-Control", "no-store")
	if err := s.backup(r.Context(), w); err != nil {
		s.log.Error("backup failed", "err", err)
		panic(http.ErrAbortHandler) // cut the stream: the client must not take it for a whole archive
	}
	s.log.Info("backup written")
}

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/internal/loadtest"
)

// backupShape is the load the backup is taken under: 64 terminals, batches and retries, the backup
// once 40% of the requests are answered.
var backupShape = func() loadtest.Shape {
	s := loadtest.Standard().WithCodes(300, 40_000)
	s.PaymentsPerTerminal, s.BatchSize, s.ResendOneIn, s.Seed = 16, 20, 4, 7
	return s
}()

// TestBackupUnderLoad is issue 18's backup "done when": `settlementd admin backup` of the embedded
// store while 64 terminals pay, restored with `settlementd admin restore` into a new directory:
// the restore's check passes, and a settlementd started on the restored directory holds every
// payment answered before the backup began, as it was answered.
func TestBackupUnderLoad(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, t.TempDir())
	tok, err := srv.AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := loadtest.Setup(ctx, loadtest.NewCluster(srv.Process), tok, backupShape)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "stillpay-backup.tar")
	book := loadtest.NewBook()
	var before map[string]int64
	var sentBefore, sentAfter int64
	err = fleet.Run(ctx, book, func() {
		sentBefore, before = fleet.Sent(), book.Answered()
		if _, err := srv.Admin(ctx, "backup", "--to", archive); err != nil {
			t.Error(err)
		}
		sentAfter = fleet.Sent()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup taken while %d requests were answered (%d requests, %d keys answered before it began), %d of %d in all",
		sentAfter-sentBefore, sentBefore, len(before), fleet.Sent(), fleet.Requests())

	restored := filepath.Join(t.TempDir(), "restored")
	out, err := exec.CommandContext(ctx, bins.Path("settlementd"), "admin", "restore", "--json",
		"--from", archive, "--data", restored).Output()
	var rep admin.CheckReport
	if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil || !rep.OK {
		t.Fatalf("admin restore: %v %v %s", err, jerr, out)
	}
	again := startServer(t, restored)
	ac, err := again.AdminClient(&http.Client{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.CheckLedgerHas(ctx, ac, before); err != nil {
		t.Fatal(err)
	}
	again.check()
	t.Logf("restored: check OK (%d entries, %d transactions); all %d answers given before the backup are in it",
		rep.Entries, rep.Transactions, len(before))
}

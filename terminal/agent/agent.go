package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
	"github.com/stillpay/stillpay/terminal/serverkeys"
)

// Errors of the register-facing API. Test with errors.Is.
var (
	ErrBusy        = errors.New("agent: a sale is already in progress")
	ErrNoSale      = errors.New("agent: no such sale")
	ErrNotWaiting  = errors.New("agent: the sale is not waiting for a code")
	ErrBadAmount   = errors.New("agent: invalid amount")
	ErrNoPrinter   = errors.New("agent: no printer configured")
	ErrNotApproved = errors.New("agent: only approved sales have a receipt")
	// ErrReprintUnconfirmed: the receipt was sent to a printer that could not confirm it, so it
	// has probably printed; the cashier checks the printer's output and confirms the reprint.
	ErrReprintUnconfirmed = errors.New("agent: the receipt was sent but the printer did not confirm it; check whether it printed before reprinting")
)

// Server is the part of the settlement client a sale needs.
type Server interface {
	Transaction(ctx context.Context, req protocol.TransactionRequest) (protocol.TransactionResponse, error)
}

// ServerKeys are the server keys the terminal trusts (a serverkeys.Keyring): approvals are checked
// against them, and Learn follows a server key rotation when an approval names a key id the
// terminal does not know yet.
type ServerKeys interface {
	VerifyApproval(sa protocol.SignedApproval) (protocol.Approval, error)
	Learn(ctx context.Context, keyID string) error
	Keys() []protocol.ServerKey
}

// Printer is the part of hardware/printer.Printer the agent needs.
type Printer interface {
	Print(ctx context.Context, job []byte) (printer.Result, error)
	Status(ctx context.Context) (printer.Status, error)
	Profile() printer.Profile
}

// Options wires an Agent.
type Options struct {
	Store  queue.Store
	Server Server
	// Orders creates and follows merchant-presented orders (flow 2); nil: orders are unavailable.
	Orders OrderServer
	// Stickers brings the lane's sticker payments (RunStickerFeed); nil: none.
	Stickers StickerServer
	Verifier *offline.Verifier
	Printer  Printer        // nil: no printer
	Source   scanner.Source // nil: codes come only through SubmitCode
	Identity config.IdentityState
	// Keys check approvals; nil: Identity.ServerKeys, never learning new ones.
	Keys    ServerKeys
	Receipt config.Receipt
	// Currency is the default currency of StartSale.
	Currency    string
	ScanTimeout time.Duration
	// PrintTimeout bounds one receipt job; 0: the driver's JobTimeout with its defaults. Give it the
	// configured printer's printer.Config.JobTimeout, so the driver's confirmation wait always ends
	// before it does.
	PrintTimeout time.Duration
	// KeepSettled is how long final records are kept (queue.Prune); 0: queue.DefaultKeepSettled.
	KeepSettled time.Duration
	// SaleBudget bounds the wait for one sale after the scan (online attempts, offline check and
	// commit); 0: DefaultSaleBudget.
	SaleBudget time.Duration
	// Returns voids and refunds sales at the server; nil: voids and refunds are unavailable.
	Returns ReturnServer
	// PIN, when set, is the supervisor PIN every void and refund must carry (refunds.pin_hash).
	PIN    PINChecker
	Clock  clock.Clock
	Logger *slog.Logger
}

// Agent runs sales, one at a time, as a lane has one scanner and one customer.
type Agent struct {
	opt   Options
	log   *slog.Logger
	stats *Stats

	mu      sync.Mutex
	current *sale // the sale in progress, or nil
	// unstored holds outcomes that could not be committed (full disk), so the register still
	// learns them; the file keeps the open record for Recover.
	unstored []queue.Record
	changed  chan struct{} // closed and replaced on every sale change
	wg       sync.WaitGroup
	closing  chan struct{}
	// printMu serializes receipts: the lane is free for the next sale while the last one prints.
	printMu sync.Mutex
	// orders follows the orders whose outcome is not reported yet (flow 2).
	orders *orderBook
	// breaker sends sales offline at once while the server does not answer.
	breaker breaker
	// returnMu serializes voids and refunds; pins counts wrong supervisor PINs.
	returnMu sync.Mutex
	pins     pinGuard
}

// maxUnstored bounds the unstored outcomes kept in memory.
const maxUnstored = 16

// sale is the in-memory side of a sale in progress.
type sale struct {
	id     string
	codes  chan code // the scan (or submitted code) that decides the sale
	cancel context.CancelFunc
	// ignored counts the scans that were not payment codes while the sale waited, notice says
	// the last one's reason (guarded by Agent.mu).
	ignored int
	notice  string
}

// code is a payment code and when its last byte arrived.
type code struct {
	text string
	at   time.Time
}

// New returns an Agent. Call Recover before taking sales, and Run to read the scanner.
func New(opt Options) *Agent {
	opt.Clock = clock.Or(opt.Clock)
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.ScanTimeout <= 0 {
		opt.ScanTimeout = 60 * time.Second
	}
	if opt.PrintTimeout <= 0 {
		opt.PrintTimeout = printer.Config{}.JobTimeout()
	}
	if opt.SaleBudget <= 0 {
		opt.SaleBudget = DefaultSaleBudget
	}
	if opt.KeepSettled <= 0 {
		opt.KeepSettled = queue.DefaultKeepSettled
	}
	if opt.Keys == nil {
		opt.Keys = serverkeys.New(serverkeys.Options{Trusted: opt.Identity.ServerKeys, Logger: opt.Logger})
	}
	return &Agent{opt: opt, log: opt.Logger, stats: newStats(), changed: make(chan struct{}), closing: make(chan struct{}),
		orders: newOrderBook()}
}

// Stats returns the agent's counters.
func (a *Agent) Stats() *Stats { return a.stats }

// Identity returns the terminal identity the agent runs under, with the server keys it trusts now.
func (a *Agent) Identity() config.IdentityState {
	id := a.opt.Identity
	id.ServerKeys = a.opt.Keys.Keys()
	return id
}

// Run reads the scanner until ctx ends, handing each code to the sale waiting for one. Codes
// scanned while no sale waits are dropped (and logged without their content). A frame that is not
// a payment code (notPayment) never reaches the sale: it is shown on the sale and logged, and the
// sale keeps waiting for the customer's code.
func (a *Agent) Run(ctx context.Context) error {
	if a.opt.Source == nil {
		<-ctx.Done()
		return nil
	}
	for {
		f, err := a.opt.Source.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, scanner.ErrClosed) {
				return nil
			}
			a.log.Warn("scanner read failed", "err", err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		if why := notPayment(f); why != "" {
			a.ignoreScan(f, why)
			continue
		}
		at := f.At
		if at.IsZero() {
			at = a.opt.Clock.Now()
		}
		if err := a.deliver("", code{text: string(f.Data), at: at}); err != nil {
			a.log.Info("scan ignored: no sale is waiting for a code", "bytes", len(f.Data))
		}
	}
}

// deliver hands a code to the sale waiting for one; id "" means whichever sale is current.
func (a *Agent) deliver(id string, c code) error {
	a.mu.Lock()
	s := a.current
	a.mu.Unlock()
	if s == nil || (id != "" && s.id != id) {
		return ErrNotWaiting
	}
	select {
	case s.codes <- c:
		return nil
	default:
		return ErrNotWaiting // it already has its code
	}
}

// SubmitCode gives sale id a code typed or pasted at the register, as if it had been scanned.
func (a *Agent) SubmitCode(id, text string) error {
	return a.deliver(id, code{text: text, at: a.opt.Clock.Now()})
}

// StartSale records a new sale and starts waiting for the customer's code. It returns the sale's
// transaction id at once; follow it with Sale or Wait. A reference that protocol.CheckText refuses is
// a *protocol.FieldError (errors.Is protocol.ErrInvalidField), and nothing is queued.
func (a *Agent) StartSale(ctx context.Context, amount money.Amount, reference string) (string, error) {
	amount, err := a.checkRequest(amount, reference)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	select {
	case <-a.closing:
		return "", errors.New("agent: shutting down")
	default:
	}
	if a.current != nil && !a.decidedLocked(ctx, a.current.id) {
		return "", fmt.Errorf("%w: %s", ErrBusy, a.current.id)
	}
	now := a.opt.Clock.Now()
	var rec queue.Record
	err = a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		seq, err := tx.NextSeq()
		if err != nil {
			return err
		}
		rec = queue.Record{Seq: seq, TxnID: queue.TxnID(a.opt.Identity.TerminalID, seq), Kind: protocol.KindOnline,
			State: queue.StateWaiting, Amount: amount, Reference: reference, CreatedAt: now, UpdatedAt: now}
		return tx.Put(rec)
	})
	if err != nil {
		return "", err
	}
	saleCtx, cancel := context.WithTimeout(context.Background(), a.opt.ScanTimeout)
	s := &sale{id: rec.TxnID, codes: make(chan code, 1), cancel: cancel}
	a.current = s
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		a.run(saleCtx, s, rec)
	}()
	a.notifyLocked()
	return rec.TxnID, nil
}

// checkRequest checks the amount (in the terminal's currency when it has none) and the reference of
// a sale or an order.
func (a *Agent) checkRequest(amount money.Amount, reference string) (money.Amount, error) {
	if amount.Currency == "" {
		amount.Currency = a.opt.Currency
	}
	if err := amount.Validate(money.ParseOptions{}); err != nil {
		return amount, fmt.Errorf("%w: %w", ErrBadAmount, err)
	}
	// The server applies the same rule: a reference queued here is never refused there, where it
	// would hold up the terminal's queue.
	if err := protocol.CheckText("reference", reference, protocol.MaxReferenceLen); err != nil {
		return amount, err
	}
	return amount, nil
}

// decidedLocked reports whether sale id's outcome is committed: the register may have seen it
// before the sale's goroutine released the lane. A record that is gone was pruned, and only final
// records are pruned (StartSale commits the record before the sale becomes current).
func (a *Agent) decidedLocked(ctx context.Context, id string) bool {
	decided := false
	a.opt.Store.View(ctx, func(tx queue.Tx) error {
		r, err := tx.Get(id)
		decided = errors.Is(err, queue.ErrNotFound) || (err == nil && !r.State.Open())
		return nil
	})
	return decided
}

// release frees the lane for the next sale once s is decided.
func (a *Agent) release(s *sale) {
	a.mu.Lock()
	if a.current == s {
		a.current = nil
	}
	a.mu.Unlock()
	a.notify()
}

// Cancel stops a sale that is still waiting for its code. A sale already deciding is not stopped:
// its outcome is on its way.
func (a *Agent) Cancel(id string) error {
	a.mu.Lock()
	s := a.current
	a.mu.Unlock()
	if s == nil || s.id != id {
		return fmt.Errorf("%w: %s is not in progress", ErrNotWaiting, id)
	}
	s.cancel()
	return nil
}

// Close stops taking sales and waits for the one in progress to finish deciding.
func (a *Agent) Close() {
	a.mu.Lock()
	select {
	case <-a.closing:
	default:
		close(a.closing)
	}
	if a.current != nil {
		a.current.cancel()
	}
	a.mu.Unlock()
	a.orders.stop()
	a.wg.Wait()
}

func (a *Agent) notify() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notifyLocked()
}

func (a *Agent) notifyLocked() {
	close(a.changed)
	a.changed = make(chan struct{})
}

// changes returns a channel closed at the next sale change.
func (a *Agent) changes() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

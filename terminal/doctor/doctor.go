package doctor

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"io"
	"log/slog"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// Defaults of Options.
const (
	// DefaultScanTimeout is how long --scan waits for the technician to scan something.
	DefaultScanTimeout = 60 * time.Second
	// checkTimeout bounds every check but the test scan: a check that hangs must not hang the doctor.
	checkTimeout = 20 * time.Second
	// agentProbeTimeout bounds the question "is the agent running?" on the local API.
	agentProbeTimeout = 2 * time.Second
)

// Options configures a doctor run.
type Options struct {
	ConfigPath  string
	Scan        bool          // wait for a test scan
	ScanTimeout time.Duration // default DefaultScanTimeout
	Print       bool          // print a test page with a QR code
	CAFile      string        // overrides server.ca_file
	Version     string        // printed on the test page
	Clock       clock.Clock
	Disk        DiskSpace // nil: the file system's statfs
	Prompt      io.Writer // where --scan asks for a scan; nil: nowhere
	Logger      *slog.Logger
}

// run is the state one doctor run builds up: later checks use what earlier ones found.
type run struct {
	opt      Options
	cfg      *config.Config
	cfgErr   error
	identity *config.IdentityState
	key      ed25519.PrivateKey
	agent    *localapi.Status // set when the agent answers on its local API
	server   *client.Client
	reached  bool        // the server answered
	tls      *tls.Config // the server's trust (server.ca_file), once checkServer ran
}

// check is one named step.
type check struct {
	name string
	fn   func(*run, context.Context) Result
}

// checks run in this order; each may rely on the state the earlier ones left in run.
var checks = []check{
	{"config", (*run).checkConfig},
	{"identity", (*run).checkIdentity},
	{"agent", (*run).checkAgent},
	{"server", (*run).checkServer},
	{"enrolled", (*run).checkEnrolled},
	{"clock", (*run).checkClock},
	{"scanner", (*run).checkScanner},
	{"printer", (*run).checkPrinter},
	{"queue", (*run).checkQueue},
	{"disk", (*run).checkDisk},
}

// Names lists the checks in the order they run.
func Names() []string {
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.name
	}
	return names
}

// Run runs every check and returns the report. It never stops early: a technician wants to see
// everything that is wrong in one go.
func Run(ctx context.Context, opt Options) Report {
	opt.Clock = clock.Or(opt.Clock)
	if opt.Disk == nil {
		opt.Disk = statfsDiskSpace
	}
	if opt.ScanTimeout <= 0 {
		opt.ScanTimeout = DefaultScanTimeout
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Prompt == nil {
		opt.Prompt = io.Discard
	}
	r := &run{opt: opt}
	results := make([]Result, 0, len(checks))
	for _, c := range checks {
		timeout := checkTimeout
		if c.name == "scanner" && opt.Scan {
			timeout += opt.ScanTimeout
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		res := c.fn(r, cctx)
		cancel()
		res.Check = c.name
		opt.Logger.Debug("doctor check", "check", c.name, "status", res.Status, "detail", res.Detail)
		results = append(results, res)
	}
	return newReport(results)
}

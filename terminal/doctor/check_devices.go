package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/hardware/serialport"
	"github.com/stillpay/stillpay/terminal/config"
)

func (r *run) checkScanner(ctx context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	sc := r.cfg.Scanner
	switch sc.Type {
	case config.ScannerNone:
		return ok("no scanner configured (scanner.type: none): codes come only through the local API")
	case config.ScannerImages:
		st, err := os.Stat(sc.Dir)
		if err != nil || !st.IsDir() {
			return fail(fmt.Sprintf("create it (mkdir -p %s) and point the camera's snapshots there, or fix scanner.dir", sc.Dir), "image directory %s is missing", sc.Dir)
		}
		return ok("camera images are read from %s", sc.Dir)
	}
	if r.agent != nil {
		if r.opt.Scan {
			return warn("stop the agent for a test scan (systemctl stop posagent; posagent doctor --scan; systemctl start posagent), or make a test sale",
				"the running agent holds %s (state %s)", sc.Port, r.agent.Scanner)
		}
		if r.agent.Scanner != scanner.Connected.String() {
			return fail("check the scanner's cable and that it is in USB-CDC (serial) mode; posagent ports lists what is connected",
				"the running agent cannot reach the scanner at %s (state %s)", sc.Port, r.agent.Scanner)
		}
		return ok("the running agent is connected to the scanner at %s", describePort(sc.Port.String()))
	}
	drv := sc.ScannerDriver()
	port, err := serialport.Open(ctx, drv.Port)
	if err != nil {
		return fail(portFix(err, "scanner"), "scanner at %s: %v", describePort(sc.Port.String()), err)
	}
	port.Close()
	if !r.opt.Scan {
		return ok("%s opens as a serial device (a scanner is silent until it scans: posagent doctor --scan tests one)", describePort(sc.Port.String()))
	}
	return r.testScan(ctx, drv, sc)
}

func (r *run) testScan(ctx context.Context, drv scanner.Config, sc config.Scanner) Result {
	s, err := scanner.Open(ctx, drv, r.opt.Logger)
	if err != nil {
		return fail(portFix(err, "scanner"), "scanner at %s: %v", sc.Port, err)
	}
	defer s.Close()
	fmt.Fprintf(r.opt.Prompt, "doctor: scan any barcode or QR code within %s...\n", r.opt.ScanTimeout)
	sctx, cancel := context.WithTimeout(ctx, r.opt.ScanTimeout)
	defer cancel()
	f, err := s.Next(sctx)
	if err != nil {
		return fail("check that the scanner beeps when it reads, that it is in USB-CDC (serial) mode and sends a suffix (CR); scanner.suffix and scanner.gap in the config must match it",
			"no scan arrived from %s within %s (scanner %s)", sc.Port, r.opt.ScanTimeout, s.State())
	}
	sym := f.Symbology
	if sym == "" {
		sym = "none sent"
	}
	// The content is not shown: it may be a customer's one-time payment code.
	return ok("test scan read from %s: %d characters, AIM symbology %s", describePort(sc.Port.String()), len(f.Data), sym)
}

func (r *run) checkPrinter(ctx context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	pc := r.cfg.Printer
	if pc.Type == config.PrinterNone {
		return ok("no printer configured (printer.type: none): receipts go to the register only")
	}
	if r.agent != nil {
		st := r.agent.Printer
		if r.opt.Print {
			return warn("stop the agent to print a test page (systemctl stop posagent; posagent doctor --print; systemctl start posagent), or reprint a receipt from the register",
				"the running agent holds the printer (status %s)", st)
		}
		// The agent reports "ready", "unknown (...)" for a printer that does not answer status, or
		// the reason it cannot print ("printer out of paper (printer status: offline: paper out)").
		switch {
		case st == "ready":
			return ok("the running agent reports the printer ready")
		case strings.HasPrefix(st, "unknown"), st == "":
			return warn("check the printer is on and its cable; a printer that never answers status (DLE EOT) prints but cannot report paper out",
				"the running agent gets no status from the printer: %s", st)
		}
		return fail(statusFix(st), "the running agent reports: %s", st)
	}
	p, err := printer.Open(ctx, pc.PrinterDriver(), r.opt.Logger)
	if err != nil {
		return fail(portFix(err, "printer"), "printer at %s: %v", printerWhere(pc), err)
	}
	defer p.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return fail(portFix(err, "printer"), "printer at %s: %v", printerWhere(pc), err)
	}
	if st.Unknown {
		return warn("check the printer is on and its cable; a printer that never answers (unidirectional) prints but cannot report paper out",
			"printer at %s does not answer status requests (DLE EOT)", printerWhere(pc))
	}
	if err := st.Err(); err != nil {
		return fail(statusFix(st.String()), "printer at %s is %s", printerWhere(pc), st)
	}
	if r.opt.Print {
		return r.testPage(ctx, p, pc)
	}
	if st.PaperNearEnd {
		return warn("change the paper roll soon", "printer at %s is %s", printerWhere(pc), st)
	}
	return ok("printer at %s is %s (profile %s)", printerWhere(pc), st, p.Profile().Name)
}

func (r *run) testPage(ctx context.Context, p printer.Printer, pc config.Printer) Result {
	now := r.opt.Clock.Now()
	terminal := "(not enrolled)"
	if r.identity != nil {
		terminal = r.identity.TerminalID
	}
	page := receipt.New(
		receipt.Title("stillpay test page"),
		receipt.Rule(),
		receipt.Pair("Terminal", terminal),
		receipt.Pair("Agent", r.opt.Version),
		receipt.Pair("Printer", printerWhere(pc)),
		receipt.Pair("Profile", p.Profile().Name),
		receipt.Pair("Time", now.Format("2006-01-02 15:04:05")),
		receipt.Rule(),
		receipt.Center("Scan this code with the lane's scanner:"),
		receipt.QR("stillpay-test-page "+terminal+" "+now.Format(time.RFC3339)),
		receipt.Center("If you can read this, the printer works."),
		receipt.Feed(2),
	)
	job, err := page.ESCPOS(p.Profile())
	if err != nil {
		return fail("choose a printer profile that fits the printer (printer.profile)", "cannot lay out the test page: %v", err)
	}
	res, err := p.Print(ctx, job)
	switch {
	case err != nil:
		return fail(statusFix(err.Error()), "test page not printed on %s: %v", printerWhere(pc), err)
	case res == printer.Printed:
		return ok("test page with a QR code printed on %s (confirmed by the printer)", printerWhere(pc))
	}
	return warn("look at the printer: the page should be out; a printer that does not confirm jobs (GS r) cannot tell the agent",
		"test page sent to %s, but the printer did not confirm it (%s)", printerWhere(pc), res)
}

func printerWhere(pc config.Printer) string {
	switch pc.Type {
	case config.PrinterTCP:
		return "tcp " + pc.Address
	case config.PrinterUSBLP:
		return pc.Device
	}
	return describePort(pc.Port.String())
}

// describePort shows where a udev symlink such as /dev/stillpay-scanner points.
func describePort(path string) string {
	if target, err := filepath.EvalSymlinks(path); err == nil && target != path {
		return path + " (" + target + ")"
	}
	return path
}

// portFix says what to do about an error opening a scanner or printer.
func portFix(err error, device string) string {
	if h := serialport.Hint(err); h != "" {
		return h
	}
	switch {
	case errors.Is(err, printer.ErrInvalidConfig):
		return "correct the printer section of the config (type, port/address/device, profile)"
	case errors.Is(err, printer.ErrDisconnected):
		return "check the printer's power and cable (or network address); posagent ports lists serial devices"
	}
	return fmt.Sprintf("check the %s's cable and power; posagent ports lists what is connected", device)
}

// statusFix says what to do about a printer state, from its description.
func statusFix(status string) string {
	switch {
	case strings.Contains(status, "paper out"):
		return "load a paper roll and close the cover"
	case strings.Contains(status, "cover open"):
		return "close the printer cover"
	case strings.Contains(status, "cutter"):
		return "clear the paper jam at the cutter, then switch the printer off and on"
	case strings.Contains(status, "disconnected"):
		return "check the printer's power and cable"
	}
	return "look at the printer's error light; switch it off and on"
}

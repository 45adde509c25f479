package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// screen writes what the cashier reads: outcomes that look different at a glance (a framed word
// and a symbol, coloured when the terminal has colour), amounts in the shop's locale.
type screen struct {
	out   io.Writer
	color bool
	sep   byte // decimal separator of amounts: '.' or ','
	// reprint tells how to reprint, after a receipt that did not print.
	reprint string
}

// ANSI SGR sequences.
const (
	sgrReset = "\x1b[0m"
	sgrGreen = "\x1b[1;97;42m"
	sgrRed   = "\x1b[1;97;41m"
	sgrAmber = "\x1b[1;30;43m"
)

// wantColor reports whether f is a terminal that shows colour: not when NO_COLOR is set
// (no-color.org) or TERM is dumb or unset.
func wantColor(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	if t := os.Getenv("TERM"); t == "" || t == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (s *screen) paint(sgr, text string) string {
	if !s.color {
		return text
	}
	return sgr + text + sgrReset
}

// amount shows a in the shop's locale: "4,20 EUR" or "4.20 EUR".
func (s *screen) amount(a money.Amount) string {
	d := a.Decimal()
	if s.sep == ',' {
		d = strings.Replace(d, ".", ",", 1)
	}
	return d + " " + a.Currency
}

// typedAmount reads an amount as the cashier types it in the shop's locale ("4,20" or "4.20") and
// returns it in the API's form ("4.20"). A point is taken in every locale.
func (s *screen) typedAmount(text string) string {
	if s.sep == ',' && strings.Count(text, ",") == 1 && !strings.Contains(text, ".") {
		return strings.Replace(text, ",", ".", 1)
	}
	return text
}

// banner writes a framed, full-width outcome line: "+++ ✔ APPROVED +++" or "XXX ✘ DECLINED XXX".
func (s *screen) banner(sgr, mark, word string, fill byte) {
	text := fmt.Sprintf(" %s %s ", mark, word)
	side := strings.Repeat(string(fill), max(3, (40-len([]rune(text)))/2))
	fmt.Fprintln(s.out, s.paint(sgr, side+text+side))
}

// saleOutcome writes a sale's outcome.
func (s *screen) saleOutcome(v agent.SaleView) {
	switch v.State {
	case agent.SaleApproved:
		s.banner(sgrGreen, "✔", "APPROVED "+s.amount(v.Amount), '+')
		how := "online"
		if v.Offline {
			how = "OFFLINE — forwarded when the server is back"
		}
		fmt.Fprintf(s.out, "  customer %s · approval %s · %s · %s\n", v.Customer, v.ApprovalCode, how, v.ID)
	case agent.SaleDeclined:
		s.banner(sgrRed, "✘", "DECLINED "+s.amount(v.Amount), 'X')
		fmt.Fprintf(s.out, "  %s\n  (%s)\n", cashierReason(v.Code, v.Reason), v.ID)
	default:
		fmt.Fprintf(s.out, "— %s %s — %s (%s)\n", strings.ToUpper(v.State), s.amount(v.Amount), v.Reason, v.ID)
	}
	s.printAlert(v.PrintAlert)
}

// printAlert shows a receipt that did not print, so the cashier loads paper and reprints.
func (s *screen) printAlert(alert string) {
	if alert != "" {
		fmt.Fprintln(s.out, s.paint(sgrAmber, "!! "+alert+s.reprint))
	}
}

// returnOutcome writes a void's or a refund's outcome.
func (s *screen) returnOutcome(v agent.ReturnView) {
	word := strings.ToUpper(v.Kind)
	switch v.State {
	case agent.ReturnApproved:
		s.banner(sgrGreen, "✔", word+" "+s.amount(v.Amount), '+')
		fmt.Fprintf(s.out, "  of sale %s · approval %s · %s\n", v.Target, v.ApprovalCode, v.ID)
	case agent.ReturnPending:
		s.banner(sgrAmber, "…", word+" PENDING "+s.amount(v.Amount), '~')
		fmt.Fprintf(s.out, "  of sale %s · sent when the server answers · %s\n", v.Target, v.ID)
	default:
		s.banner(sgrRed, "✘", word+" DECLINED", 'X')
		fmt.Fprintf(s.out, "  %s\n  (%s)\n", cashierReason(v.Code, v.Reason), v.ID)
	}
	s.printAlert(v.PrintAlert)
}

// statusLine writes the OFFLINE banner (with the queue size) when sales go offline, and the devices'
// state: the cashier sees an unplugged scanner or a printer out of paper before the next sale.
func (s *screen) statusLine(st localapi.Status) {
	if !st.OfflineSince.IsZero() || (st.QueueDepth > 0 && st.Forwarder.Failing > 0) {
		fmt.Fprintln(s.out, s.paint(sgrRed, fmt.Sprintf("*** OFFLINE — sales are approved offline; %d waiting to be sent ***", st.QueueDepth)))
	}
	printer, scanner := "ready", "ready"
	switch p := strings.ToLower(st.Printer); {
	case p == "ready":
	case strings.Contains(p, "paper"):
		printer = s.paint(sgrAmber, "OUT OF PAPER — load paper")
	case p == "unavailable" || strings.Contains(p, "disconnect"):
		printer = s.paint(sgrAmber, "NOT CONNECTED")
	default:
		printer = s.paint(sgrAmber, st.Printer)
	}
	switch st.Scanner {
	case "connected":
	case "disconnected":
		scanner = s.paint(sgrAmber, "UNPLUGGED — check the cable")
	default:
		scanner = st.Scanner
	}
	fmt.Fprintf(s.out, "[printer %s · scanner %s · queue %d]\n", printer, scanner, st.QueueDepth)
}

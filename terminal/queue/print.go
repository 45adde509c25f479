package queue

import (
	"encoding/json"
	"strings"
)

// PrintState is how printing a record's slip went.
type PrintState string

// Print states.
const (
	// PrintNone: not tried yet.
	PrintNone PrintState = ""
	// PrintPrinted: the printer confirmed the job.
	PrintPrinted PrintState = "printed"
	// PrintUnconfirmed: the bytes went out but the printer did not confirm; it has most likely
	// printed, so a reprint needs the cashier's word.
	PrintUnconfirmed PrintState = "unconfirmed"
	// PrintNoPrinter: the terminal has no printer.
	PrintNoPrinter PrintState = "no_printer"
	// PrintFailed: nothing came out; Detail says why and what to do ("printer out of paper; load
	// paper, then reprint").
	PrintFailed PrintState = "not_printed"
)

// Print is the outcome of printing a slip: a state, and for PrintFailed the reason.
type Print struct {
	State  PrintState `json:"state,omitempty"`
	Detail string     `json:"detail,omitempty"`
}

// The words Print.String gives, which the local API shows as print_status (unchanged since the
// status was stored as these words).
const (
	printedWords     = "printed"
	unconfirmedWords = "sent, not confirmed by the printer"
	noPrinterWords   = "no printer"
	notPrintedPrefix = "not printed: "
)

// String is the print status in the register's words: "printed", "sent, not confirmed by the
// printer", "no printer", "not printed: REASON", or "" when not tried.
func (p Print) String() string {
	switch p.State {
	case PrintPrinted:
		return printedWords
	case PrintUnconfirmed:
		return unconfirmedWords
	case PrintNoPrinter:
		return noPrinterWords
	case PrintFailed:
		return notPrintedPrefix + p.Detail
	}
	return ""
}

// ParsePrintStatus reads a print status in the words records held before Print existed (String's
// forms). Words it does not know are kept whole as the detail of a failed print: nothing read is lost.
func ParsePrintStatus(s string) Print {
	switch s {
	case "":
		return Print{}
	case printedWords:
		return Print{State: PrintPrinted}
	case unconfirmedWords:
		return Print{State: PrintUnconfirmed}
	case noPrinterWords:
		return Print{State: PrintNoPrinter}
	}
	if d, ok := strings.CutPrefix(s, notPrintedPrefix); ok {
		return Print{State: PrintFailed, Detail: d}
	}
	return Print{State: PrintFailed, Detail: s}
}

// UnmarshalJSON reads a record, including one written before the print status became a Print
// ("print_status" in words: ParsePrintStatus).
func (r *Record) UnmarshalJSON(b []byte) error {
	type plain Record // without this method
	aux := struct {
		*plain
		LegacyPrint string `json:"print_status"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if r.Print == (Print{}) && aux.LegacyPrint != "" {
		r.Print = ParsePrintStatus(aux.LegacyPrint)
	}
	return nil
}

// UnmarshalJSON reads an order, including one written before the QR's print status became a Print
// ("qr_print_status" in words).
func (o *Order) UnmarshalJSON(b []byte) error {
	type plain Order
	aux := struct {
		*plain
		LegacyQRPrint string `json:"qr_print_status"`
	}{plain: (*plain)(o)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if o.QRPrint == (Print{}) && aux.LegacyQRPrint != "" {
		o.QRPrint = ParsePrintStatus(aux.LegacyQRPrint)
	}
	return nil
}

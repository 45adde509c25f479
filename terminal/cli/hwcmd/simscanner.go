package hwcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/stillpay/stillpay/hardware/sim/simscanner"
)

// maxControlLine bounds one line of the simulator's control input; a QR code
// holds at most 2,953 bytes.
const maxControlLine = 8192

// SimScannerCommand returns `scanner` (wired under `posagent sim`): run a
// virtual scanner on a pty, print its device path, then send every line
// read from stdin (or from a FIFO) as a barcode.
func SimScannerCommand() *cobra.Command {
	var (
		opts   simscanner.Options
		fifo   string
		sends  []string
		images []string
	)
	cmd := &cobra.Command{
		Use:   "scanner",
		Short: "Run a simulated serial barcode scanner on a pty",
		Long: `Runs a virtual USB-CDC barcode scanner on a pty and prints the device path to
configure as scanner.port.path (use --link for a stable path such as
/tmp/stillpay-scanner, like udev's /dev/scanner).

It sends each line read from stdin, or from the FIFO given with --fifo, as one
barcode. Control lines:
  @image PATH   decode the QR code in PATH and send its text
  @unplug       simulate pulling the cable (the driver sees the port close)
  @replug       plug it back in (a new pty; --link is repointed)
  @@text        send "@text"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			sim, err := simscanner.New(opts, log)
			if err != nil {
				return err
			}
			defer sim.Close()
			// The FIFO exists before the path is printed: a script that
			// waits for the path can write to the FIFO at once.
			in, err := controlInput(ctx, cmd.InOrStdin(), fifo)
			if err != nil {
				return err
			}
			defer in.Close()
			fmt.Fprintln(cmd.OutOrStdout(), sim.Path())
			for _, p := range sends {
				if err := sim.Send(ctx, p); err != nil {
					return err
				}
			}
			for _, p := range images {
				if err := sim.SendImage(ctx, p); err != nil {
					return err
				}
			}
			return serveControl(ctx, sim, in, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Suffix, "suffix", "CR", "frame suffix: CR, LF, CRLF or none")
	f.BoolVar(&opts.AIM, "aim", false, "prefix each code with its AIM identifier")
	f.StringVar(&opts.Symbology, "symbology", "]Q1", "AIM identifier sent with --aim")
	f.BoolVar(&opts.SplitWrites, "split", false, "write each code in random pieces")
	f.BoolVar(&opts.Noise, "noise", false, "send line noise between codes")
	f.Int64Var(&opts.Seed, "seed", 1, "seed for --split and --noise")
	f.StringVar(&opts.Link, "link", "", "keep a symlink at this path pointing to the current pty")
	f.StringVar(&fifo, "fifo", "", "read control lines from this FIFO (created if missing) instead of stdin")
	f.StringArrayVar(&sends, "send", nil, "send this payload at start (repeatable)")
	f.StringArrayVar(&images, "image", nil, "send the QR code of this image at start (repeatable)")
	return cmd
}

// controlInput opens the FIFO read-write, so that it never reports EOF when
// a writer goes away and a demo script can write to it many times. Closing
// it on ctx end unblocks the reader.
func controlInput(ctx context.Context, stdin io.Reader, fifo string) (io.ReadCloser, error) {
	if fifo == "" {
		return io.NopCloser(stdin), nil
	}
	if err := unix.Mkfifo(fifo, 0o600); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("sim scanner: mkfifo %s: %w", fifo, err)
	}
	f, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("sim scanner: %w", err)
	}
	context.AfterFunc(ctx, func() { f.Close() })
	return f, nil
}

// controlCommand is one parsed control line.
type controlCommand struct {
	op  string // "send", "image", "unplug", "replug", "skip"
	arg string
}

// parseControlLine reads one control line (without its newline).
func parseControlLine(line string) controlCommand {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case line == "":
		return controlCommand{op: "skip"}
	case strings.HasPrefix(line, "@@"):
		return controlCommand{op: "send", arg: line[1:]}
	case line == "@unplug":
		return controlCommand{op: "unplug"}
	case line == "@replug":
		return controlCommand{op: "replug"}
	case strings.HasPrefix(line, "@image "):
		return controlCommand{op: "image", arg: strings.TrimSpace(line[len("@image "):])}
	case strings.HasPrefix(line, "@"):
		return controlCommand{op: "unknown", arg: line}
	}
	return controlCommand{op: "send", arg: line}
}

// serveControl executes control lines until EOF or ctx ends. A bad line is
// reported and skipped; it does not stop the simulator.
func serveControl(ctx context.Context, sim *simscanner.Scanner, in io.Reader, log *slog.Logger) error {
	r := bufio.NewReaderSize(in, maxControlLine)
	for {
		line, err := readBoundedLine(r)
		if errors.Is(err, bufio.ErrBufferFull) {
			log.Warn("control line too long, skipped", "limit", maxControlLine)
			continue
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		}
		c := parseControlLine(line)
		var cerr error
		switch c.op {
		case "skip":
		case "send":
			cerr = sim.Send(ctx, c.arg)
		case "image":
			cerr = sim.SendImage(ctx, c.arg)
		case "unplug":
			cerr = sim.Unplug()
		case "replug":
			cerr = sim.Replug()
		default:
			cerr = fmt.Errorf("unknown control line %q (use @@ to send a code starting with @)", c.arg)
		}
		if cerr != nil {
			log.Warn("control line failed", "op", c.op, "err", cerr)
		}
	}
}

// readBoundedLine returns the next line without its newline. A line longer
// than the reader's buffer is consumed up to its newline and reported as
// bufio.ErrBufferFull.
func readBoundedLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return "", bufio.ErrBufferFull
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return string(line), nil
		}
		return "", err
	}
	return string(line[:len(line)-1]), nil
}

package hwcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/hardware/serialport"
)

// portCheckTimeout bounds checking one path given on the command line.
const portCheckTimeout = 5 * time.Second

// portCheck is the result of checking one path given to `posagent ports`.
type portCheck struct {
	Path  string `json:"path"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	Hint  string `json:"hint,omitempty"`
}

// PortsCommand returns `ports [PATH...]`: list serial ports with their USB
// ids and a guess of the device behind each; with paths, check that each
// one opens as a serial port and say what to do when it does not.
func PortsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ports [PATH...]",
		Short: "List serial ports (USB VID/PID, serial, product, device guess) or check given paths",
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			if len(args) > 0 {
				if bad := checkPorts(cmd.Context(), w, args, asJSON); bad > 0 {
					cmd.SilenceUsage = true
					return fmt.Errorf("%d of %d paths are not usable serial ports", bad, len(args))
				}
				return nil
			}
			ports, err := serialport.List()
			if err != nil {
				return err
			}
			return printPorts(w, ports, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printPorts(w io.Writer, ports []serialport.PortInfo, asJSON bool) error {
	if asJSON {
		if ports == nil {
			ports = []serialport.PortInfo{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(ports)
	}
	if len(ports) == 0 {
		_, err := fmt.Fprintln(w, "no serial ports found (a scanner in USB keyboard mode is not a serial port: switch it to USB-CDC)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tVID:PID\tSERIAL\tPRODUCT\tGUESS")
	for _, p := range ports {
		id := "-"
		if p.IsUSB {
			id = p.VID + ":" + p.PID
		}
		product := p.Product
		if p.Manufacturer != "" {
			product = p.Manufacturer + " " + product
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, id, dash(p.Serial), dash(product), p.Guess)
	}
	return tw.Flush()
}

func checkPorts(ctx context.Context, w io.Writer, paths []string, asJSON bool) (bad int) {
	if ctx == nil {
		ctx = context.Background()
	}
	enc := json.NewEncoder(w)
	for _, path := range paths {
		c := portCheck{Path: path, OK: true}
		cctx, cancel := context.WithTimeout(ctx, portCheckTimeout)
		err := serialport.Check(cctx, serialport.Config{Path: path})
		cancel()
		if err != nil {
			bad++
			c.OK, c.Error, c.Hint = false, err.Error(), serialport.Hint(err)
		}
		if asJSON {
			_ = enc.Encode(c)
			continue
		}
		if c.OK {
			fmt.Fprintf(w, "%s: ok, opens as a serial port\n", path)
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", path, c.Error)
		if c.Hint != "" {
			fmt.Fprintf(w, "  what to do: %s\n", c.Hint)
		}
	}
	return bad
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

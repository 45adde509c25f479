package cli

import (
	"github.com/spf13/cobra"

	"github.com/stillpay/stillpay/terminal/cli/hwcmd"
)

// hardwareCommands are the device tools a developer or technician runs without a running agent:
// decode images, list serial ports, and the scanner and printer simulators.
func hardwareCommands() []*cobra.Command {
	sim := &cobra.Command{
		Use:   "sim",
		Short: "Run simulated hardware: a pty barcode scanner or an ESC/POS printer (pty or TCP 9100)",
	}
	sim.AddCommand(hwcmd.SimScannerCommand(), hwcmd.SimPrinterCommand())
	return []*cobra.Command{hwcmd.DecodeCommand(), hwcmd.PortsCommand(), sim}
}

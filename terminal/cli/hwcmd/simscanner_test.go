package hwcmd

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/scanner"
	"github.com/stillpay/stillpay/hardware/serialport"
)

func TestParseControlLine(t *testing.T) {
	cases := []struct {
		in  string
		op  string
		arg string
	}{
		{"SP:ABC", "send", "SP:ABC"},
		{"SP:ABC\r", "send", "SP:ABC"},
		{"", "skip", ""},
		{"@unplug", "unplug", ""},
		{"@replug", "replug", ""},
		{"@image testdata/qr/a.png", "image", "testdata/qr/a.png"},
		{"@@mention", "send", "@mention"},
		{"@bogus", "unknown", "@bogus"},
	}
	for _, c := range cases {
		got := parseControlLine(c.in)
		if got.op != c.op || got.arg != c.arg {
			t.Errorf("parseControlLine(%q) = %+v, want %s %q", c.in, got, c.op, c.arg)
		}
	}
}

func TestReadBoundedLine(t *testing.T) {
	long := strings.Repeat("x", 100)
	r := bufio.NewReaderSize(strings.NewReader("a\n"+long+"\nb\nlast"), 16)
	var got []string
	for {
		line, err := readBoundedLine(r)
		if errors.Is(err, bufio.ErrBufferFull) {
			got = append(got, "<too long>")
			continue
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, line)
	}
	if strings.Join(got, ",") != "a,<too long>,b,last" {
		t.Errorf("lines = %q", got)
	}
}

// TestSimScannerCommand runs `sim scanner --fifo` as a demo script would,
// reads the device path it prints, attaches the real scanner driver, and
// pushes payloads, an image and an unplug/replug through the FIFO.
func TestSimScannerCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	fifo, link := filepath.Join(dir, "ctl"), filepath.Join(dir, "scanner")

	pr, pw := io.Pipe()
	cmd := SimScannerCommand()
	cmd.SetOut(pw)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"--fifo", fifo, "--link", link, "--aim", "--send", "SP:FROM-FLAG"})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(runCtx) }()
	stopped := false
	defer func() { // also on a failed assertion: the command must not outlive the test
		if !stopped {
			stop()
			pr.Close()
			<-done
		}
	}()

	path, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	if strings.TrimSpace(path) != link {
		t.Fatalf("printed %q, want the link %q", path, link)
	}
	sc, err := scanner.Open(ctx, scanner.Config{Port: serialport.Config{Path: link}, Suffix: "CR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()

	var imageText string
	for _, e := range readManifest(t) {
		if e.File == "clean-utf8.png" {
			imageText = e.Text
		}
	}
	ctl, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	expect := func(want string) {
		t.Helper()
		f, err := sc.Next(ctx)
		if err != nil || string(f.Data) != want || f.Symbology != "]Q1" {
			t.Fatalf("got %q %q, %v; want ]Q1 %q", f.Symbology, f.Data, err, want)
		}
	}
	expect("SP:FROM-FLAG")
	if _, err := io.WriteString(ctl, "SP:ONE\n@@at-sign\n@image "+filepath.Join(qrDir, "clean-utf8.png")+"\n@nonsense\n"); err != nil {
		t.Fatal(err)
	}
	expect("SP:ONE")
	expect("@at-sign")
	expect(imageText)
	if _, err := io.WriteString(ctl, "@unplug\n"); err != nil {
		t.Fatal(err)
	}
	if err := sc.WaitState(ctx, scanner.Disconnected, scanner.Reconnecting); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(ctl, "@replug\nSP:AFTER-REPLUG\n"); err != nil {
		t.Fatal(err)
	}
	expect("SP:AFTER-REPLUG")

	stop()
	stopped = true
	if err := <-done; err != nil {
		t.Errorf("command returned %v after cancel", err)
	}
}

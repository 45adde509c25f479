package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/store/boltstore"
)

func TestKeysRotateRefusesARunningServersData(t *testing.T) {
	dir := t.TempDir()
	st, err := boltstore.Open(dir, boltstore.Options{}) // holds the file like a running server
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"keys", "rotate", "--data", dir}, &out, &errOut); code == 0 || !strings.Contains(errOut.String(), "held by a running settlementd") {
		t.Errorf("keys rotate on a held data directory: exit %d, %q", code, errOut.String())
	}
	st.Close()
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"keys", "rotate", "--data", dir}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "new current key") {
		t.Errorf("keys rotate on a free data directory: exit %d, %q %q", code, out.String(), errOut.String())
	}
}

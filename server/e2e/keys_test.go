package e2e

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/shared/protocol"
)

// TestKeyRotation rotates the server key offline (`settlementd keys rotate`, server stopped) and
// online (`settlementd admin rotate-key`); every older key stays listed for verification.
func TestKeyRotation(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, data)
	first := serverKeys(t, srv.URL)
	if len(first) != 1 || !first[0].Current {
		t.Fatalf("keys on first start: %+v", first)
	}
	srv.stop()

	out, err := exec.Command(bins.Path("settlementd"), "keys", "rotate", "--data", data).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "new current key") {
		t.Fatalf("keys rotate: %v %s", err, out)
	}
	srv = startServer(t, data)
	second := serverKeys(t, srv.URL)
	if len(second) != 2 || second[0].KeyID != first[0].KeyID || second[0].Current || !second[1].Current {
		t.Fatalf("keys after an offline rotation: %+v", second)
	}
	var k protocol.ServerKey
	srv.adminJSON(&k, "rotate-key")
	third := serverKeys(t, srv.URL)
	if len(third) != 3 || third[2].KeyID != k.KeyID || !third[2].Current {
		t.Fatalf("keys after admin rotate-key: %+v (rotated to %+v)", third, k)
	}
	srv.stop()
}

func serverKeys(t *testing.T, url string) []protocol.ServerKey {
	t.Helper()
	resp, err := http.Get(url + protocol.PathServerKeys)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Keys []protocol.ServerKey `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Keys
}

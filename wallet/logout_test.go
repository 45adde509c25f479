package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDirStoreDeleteSession: the session file goes (logout), a second delete is no error, and the
// store then says "not logged in".
func TestDirStoreDeleteSession(t *testing.T) {
	d := DirStore{Home: filepath.Join(t.TempDir(), "w")}
	if err := d.SaveSession(Session{ServerURL: "http://127.0.0.1:1", UserID: "alice", Token: "tok-x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := d.DeleteSession(); err != nil {
			t.Fatalf("delete %d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d.Home, SessionFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("session file still there: %v", err)
	}
	if _, err := d.LoadSession(); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("after delete: %v, want ErrNotLoggedIn", err)
	}
}

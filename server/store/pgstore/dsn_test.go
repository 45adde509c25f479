package pgstore_test

import (
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/store/pgstore"
)

var redactCases = []struct {
	dsn, want string
}{
	{"postgres://app:s3cret@db.example.com:5432/stillpay?sslmode=require", "postgres://app:xxxxx@db.example.com:5432/stillpay?sslmode=require"},
	{"postgresql://app@db/stillpay", "postgresql://app@db/stillpay"},
	{"postgres://db/stillpay", "postgres://db/stillpay"},
	{"postgres://app:p@ss@db/stillpay", "postgres://app:xxxxx@db/stillpay"},
	{"postgres://app:pa/ss@db/stillpay", "postgres://app:xxxxx@db/stillpay"},
	{"postgres://app:pa%2Fss@db/x", "postgres://app:xxxxx@db/x"},
	{"postgres://app:s3cret@10.0.0.1:5432,10.0.0.2:5432/stillpay?target_session_attrs=read-write", "postgres://app:xxxxx@10.0.0.1:5432,10.0.0.2:5432/stillpay?target_session_attrs=read-write"},
	{"not a url at all", "not a url at all"},
	{"garbage:with@at", "(unparsable database URL)"},
	{"postgres://app:/123@db/x", "postgres://app:xxxxx@db/x"},
}

func TestRedact(t *testing.T) {
	for _, tc := range redactCases {
		if got := pgstore.Redact(tc.dsn); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestIsDSN(t *testing.T) {
	for spec, want := range map[string]bool{
		"postgres://h/db": true, "postgresql://u@h/db": true, "": false, "/var/lib/stillpay": false,
		"./data": false, "postgres:/h/db": false, "POSTGRES://h/db": false,
	} {
		if got := pgstore.IsDSN(spec); got != want {
			t.Errorf("IsDSN(%q) = %v, want %v", spec, got, want)
		}
	}
}

// FuzzRedact checks that no password survives Redact, whatever bytes it holds.
func FuzzRedact(f *testing.F) {
	for _, tc := range redactCases {
		_, rest, _ := strings.Cut(tc.dsn, "://")
		auth, _, _ := strings.Cut(rest, "@")
		_, pw, _ := strings.Cut(auth, ":")
		f.Add(pw, "db.example.com/stillpay")
	}
	f.Fuzz(func(t *testing.T, password, hostPath string) {
		if password == "" || strings.ContainsAny(password, "@#?") || strings.Contains(hostPath, "@") {
			t.Skip() // not where a password can be
		}
		dsn := "postgres://app:" + password + "@" + hostPath
		out := pgstore.Redact(dsn)
		if !strings.HasPrefix(out, "postgres://app:xxxxx@") && out != "(unparsable database URL)" {
			t.Errorf("Redact(%q) = %q: want the password masked", dsn, out)
		}
	})
}

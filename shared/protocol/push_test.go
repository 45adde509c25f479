package protocol

import (
	"errors"
	"strings"
	"testing"
)

// The user agent's keys of RFC 8291 Appendix A.
const (
	rfcP256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcAuth   = "BTBZMqHH6r4Tts7J_aSIgg"
)

func pushBody(endpoint, p256dh, auth string) string {
	return `{"endpoint":"` + endpoint + `","expirationTime":null,"keys":{"p256dh":"` + p256dh + `","auth":"` + auth + `"}}`
}

var pushCases = []struct {
	name     string
	body     string
	loopback bool
	field    string // "" accepted; "-" malformed; else the field named
}{
	{"browser toJSON", pushBody("https://fcm.googleapis.com/fcm/send/abc:def", rfcP256dh, rfcAuth), false, ""},
	{"padded base64", pushBody("https://push.example/x", rfcP256dh+"=", rfcAuth+"=="), false, ""},
	{"no expirationTime", `{"endpoint":"https://push.example/x","keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"}}`, false, ""},
	{"loopback http in tests", pushBody("http://127.0.0.1:4000/push/1", rfcP256dh, rfcAuth), true, ""},
	{"localhost in tests", pushBody("http://localhost:4000/push/1", rfcP256dh, rfcAuth), true, ""},
	{"loopback http refused", pushBody("http://127.0.0.1:4000/push/1", rfcP256dh, rfcAuth), false, "endpoint"},
	{"loopback https refused", pushBody("https://127.0.0.1/push", rfcP256dh, rfcAuth), false, "endpoint"},
	{"private address", pushBody("https://10.1.2.3/push", rfcP256dh, rfcAuth), false, "endpoint"},
	{"link-local address", pushBody("https://[fe80::1]/push", rfcP256dh, rfcAuth), false, "endpoint"},
	{"metadata address", pushBody("https://169.254.169.254/latest", rfcP256dh, rfcAuth), true, "endpoint"},
	{"plain http", pushBody("http://push.example/x", rfcP256dh, rfcAuth), false, "endpoint"},
	{"other host http even in tests", pushBody("http://push.example/x", rfcP256dh, rfcAuth), true, "endpoint"},
	{"user info", pushBody("https://u:p@push.example/x", rfcP256dh, rfcAuth), false, "endpoint"},
	{"relative", pushBody("/push/x", rfcP256dh, rfcAuth), false, "endpoint"},
	{"no endpoint", pushBody("", rfcP256dh, rfcAuth), false, "endpoint"},
	{"long endpoint", pushBody("https://push.example/"+strings.Repeat("a", MaxPushEndpointLen), rfcP256dh, rfcAuth), false, "endpoint"},
	{"p256dh not a point", pushBody("https://push.example/x", "BA"+rfcP256dh[2:], rfcAuth), false, "keys.p256dh"},
	{"p256dh compressed", pushBody("https://push.example/x", "AyVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx", rfcAuth), false, "keys.p256dh"},
	{"p256dh not base64", pushBody("https://push.example/x", strings.Repeat("*", 87), rfcAuth), false, "keys.p256dh"},
	{"auth short", pushBody("https://push.example/x", rfcP256dh, "BTBZMqHH6r4Tts7J"), false, "keys.auth"},
	{"auth missing", `{"endpoint":"https://push.example/x","keys":{"p256dh":"` + rfcP256dh + `"}}`, false, "keys.auth"},
	{"unknown field", `{"endpoint":"https://push.example/x","keys":{"p256dh":"` + rfcP256dh + `","auth":"` + rfcAuth + `"},"x":1}`, false, "-"},
	{"trailing data", pushBody("https://push.example/x", rfcP256dh, rfcAuth) + "{}", false, "-"},
	{"not an object", `[1,2]`, false, "-"},
	{"empty", ``, false, "-"},
}

func TestParsePushSubscription(t *testing.T) {
	for _, tc := range pushCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePushSubscription([]byte(tc.body), tc.loopback)
			var fe *FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field == "":
				if len(got.P256dh) != PushP256dhLen || got.P256dh[0] != 4 || len(got.Auth) != PushAuthLen || got.Endpoint == "" {
					t.Fatalf("accepted but %+v", got)
				}
			case tc.field == "-" && !errors.Is(err, ErrMalformedPush):
				t.Fatalf("error %v, want ErrMalformedPush", err)
			case tc.field != "-" && (!errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, ErrInvalidField)):
				t.Fatalf("error %v, want a FieldError naming %s", err, tc.field)
			}
		})
	}
}

// FuzzParsePushSubscription: any bytes give a subscription that keeps the rules, or a typed error.
func FuzzParsePushSubscription(f *testing.F) {
	for _, tc := range pushCases {
		f.Add([]byte(tc.body), tc.loopback)
	}
	f.Fuzz(func(t *testing.T, body []byte, loopback bool) {
		got, err := ParsePushSubscription(body, loopback)
		if err != nil {
			if !errors.Is(err, ErrMalformedPush) && !errors.Is(err, ErrInvalidField) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if CheckPushEndpoint(got.Endpoint, loopback) != nil || len(got.P256dh) != PushP256dhLen || len(got.Auth) != PushAuthLen {
			t.Fatalf("accepted %+v", got)
		}
		if !loopback && !strings.HasPrefix(strings.ToLower(got.Endpoint), "https:") {
			t.Fatalf("accepted a non-https endpoint without loopback: %q", got.Endpoint)
		}
	})
}

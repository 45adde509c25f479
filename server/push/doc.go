// Package push sends Web Push notifications (RFC 8030) of new offers to the web wallets' browsers:
// each message is encrypted to the browser's keys (RFC 8291, aes128gcm) and signed for the push
// service with the server's VAPID key (RFC 8292), through github.com/SherClockHolmes/webpush-go.
//
// A Sender runs in the background: a campaign's launch hands it the notices and returns at once,
// so a slow or failing push service never holds up the campaign. A subscription the push service
// answers 404 or 410 for is deleted; network failures, 429 and 5xx are retried up to MaxAttempts
// times in all with a doubling delay; other answers are logged and dropped. Logs name the user, the
// message and the push service's host, never an endpoint's path (a capability) or a key.
package push

// Package wallet is the phone side of stillpay, as a library a real phone app can reuse: it logs in,
// asks the server for a first approval (the offline credential and the one-time-code secret), keeps
// that state under a home directory, and makes the next payment code without any network.
//
// The one promise it must keep is that a code is never shown twice: NextCode moves the counter
// forward and makes it durable (fsync) before it returns the code. A crash may waste a counter; it
// can never reuse one.
//
// Flow 2 (merchant-presented orders): ReadOrder reads a scanned EMVCo code and verifies a stillpay
// order's server signature with the keys the wallet trusts — the ones saved in server_keys.json,
// else those of its first approval, else (a wallet that never authorized) the server's list fetched
// once over the link it logged in on — and learns a rotated key only when a trusted key endorses it
// (protocol.AcceptKeys), as terminals do. Another scheme's code comes back as a
// *order.NotStillpayError and is never paid. PayOrder signs the confirmation (shared/order) with the
// device key, sends it (the same body again, at most MaxConfirmAttempts times, if the network fails
// before an answer), and accepts the answer only if the server's signed approval pays this order,
// merchant and amount. Decoding camera images is the caller's part (cmd/wallet wires in
// hardware/imaging, the same gozxing decoder as posagent's camera; a phone app uses its own camera
// stack), so that this package stays free of image code.
package wallet

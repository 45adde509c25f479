package protocol

// OfflineApprovalCode is the approval code of an offline sale: derived from the terminal
// transaction id, so the receipt (and any reprint) and the server's record of the forwarded sale
// show the same code; prefixed "OFF" so nobody mistakes it for an online approval code.
func OfflineApprovalCode(terminalTxnID string) string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var h uint32 = 2166136261
	for i := 0; i < len(terminalTxnID); i++ {
		h = (h ^ uint32(terminalTxnID[i])) * 16777619
	}
	code := []byte("OFF")
	for i := 0; i < 4; i++ {
		code = append(code, alphabet[h%uint32(len(alphabet))])
		h /= uint32(len(alphabet))
	}
	return string(code)
}

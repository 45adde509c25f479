package pgstore

// prepareErr keeps only the error of a ledger.Prepare* call, for records that are checked but
// written as they are (Import).
func prepareErr[T any](_ T, err error) error { return err }

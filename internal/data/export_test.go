package data

// SealForTest seals plain as CreateDatastore would, for tests that check
// what is stored.
func SealForTest(key []byte, ws, name string, plain []byte) []byte {
	s, err := newSealer(key)
	if err != nil {
		panic(err)
	}
	return s.seal(ws, name, plain)
}

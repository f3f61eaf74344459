// Package lathe holds Lathe's domain nouns, their validation rules and the one
// error type every layer speaks. It imports the standard library only: storage,
// HTTP and the CLI live under internal/ and depend on this package, never the
// other way round.
package lathe

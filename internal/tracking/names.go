package tracking

import (
	"encoding/hex"
	"strconv"
)

// Words for generated run names, in MLflow's "adjective-noun-number" style.
var (
	adjectives = []string{"amber", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fancy", "gentle",
		"glad", "grand", "honest", "humble", "jolly", "keen", "lively", "lucky", "merry", "mighty",
		"nimble", "polite", "proud", "quiet", "rapid", "sharp", "silent", "smooth", "steady", "swift",
		"tidy", "vivid", "warm", "wise", "witty", "zesty"}
	nouns = []string{"ant", "bass", "bear", "bee", "crab", "crane", "deer", "dove", "eel", "elk",
		"finch", "fox", "frog", "goat", "hawk", "heron", "ibis", "jay", "koala", "lark",
		"lynx", "mole", "moth", "newt", "owl", "panda", "perch", "quail", "ram", "seal",
		"shrew", "sloth", "snail", "squid", "stork", "toad", "trout", "wasp", "whale", "wolf", "yak"}
)

// RunName returns a readable name derived from a run ID, so the same run
// always gets the same name.
func RunName(runID string) string {
	b, err := hex.DecodeString(runID[:min(len(runID), 8)])
	if err != nil || len(b) < 4 {
		b = []byte{0, 0, 0, 0}
	}
	return adjectives[int(b[0])%len(adjectives)] + "-" + nouns[int(b[1])%len(nouns)] + "-" + strconv.Itoa((int(b[2])<<8|int(b[3]))%1000)
}

package jobs

import (
	"crypto/rand"
	"math/big"
)

var (
	adjectives = []string{"amber", "bold", "brave", "calm", "clever", "cool", "crisp", "eager", "fancy", "gentle", "happy", "honest",
		"jolly", "keen", "kind", "lively", "lucid", "merry", "mighty", "neat", "nimble", "plucky", "polite", "quiet", "quick", "rapid",
		"sharp", "shy", "silver", "sincere", "steady", "sunny", "swift", "tender", "tidy", "upbeat", "vivid", "warm", "wise", "witty", "zen"}
	nouns = []string{"anchor", "apple", "badger", "basket", "beetle", "berry", "bison", "brush", "camel", "candle", "carrot", "cloud",
		"comet", "coral", "cricket", "dove", "eagle", "falcon", "fig", "garden", "gate", "heron", "island", "kettle", "lemon", "lion",
		"lotus", "maple", "mango", "moon", "nest", "olive", "otter", "panda", "pear", "pepper", "plum", "quartz", "river", "rocket",
		"seal", "spoon", "tiger", "tomato", "tulip", "walrus", "whale", "yak", "zebra"}
)

const nameAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// newJobName returns a name in Azure's style: adjective_noun_ and ten
// random letters and digits (about 52 bits, so names do not collide in
// practice; a collision is refused by the store and retried).
func newJobName() string {
	pick := func(n int) int {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
		return int(v.Int64())
	}
	b := make([]byte, 10)
	for i := range b {
		b[i] = nameAlphabet[pick(len(nameAlphabet))]
	}
	return adjectives[pick(len(adjectives))] + "_" + nouns[pick(len(nouns))] + "_" + string(b)
}

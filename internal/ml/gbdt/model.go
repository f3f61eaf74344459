package gbdt

import (
	"runtime"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
)

// Model is a trained ensemble. Trees are stored round by round; within a round
// tree k scores output k (one output for regression and binary, one per class
// for multiclass).
type Model struct {
	Names     []string  // feature names, in matrix column order
	Features  int       // number of input features
	Classes   int       // 0 regression, 2 binary, K >= 3 multiclass
	Base      []float64 // initial score per output
	Trees     []Tree
	Rounds    int       // boosting rounds kept
	BestRound int       // the round early stopping chose (== Rounds without it)
	ValidLoss []float64 // validation loss after each round trained, if any
}

// Outputs returns the number of margins per row.
func (m *Model) Outputs() int { return objective{m.Classes}.outputs() }

// predictBlock is the number of rows scored together, so that each tree stays
// in cache while it scores them.
const predictBlock = 64

func (m *Model) check(X *feature.Matrix, out []float64, per int) error {
	if len(X.Cols) != m.Features {
		return lathe.Errorf(lathe.EINVALID, "the input has %d features, the model expects %d", len(X.Cols), m.Features)
	}
	if len(out) != X.Rows*per {
		return lathe.Errorf(lathe.EINTERNAL, "output buffer has %d values, need %d", len(out), X.Rows*per)
	}
	return nil
}

// Margins writes the raw scores (before the sigmoid or softmax) of every row of
// X into out, Outputs() values per row. Rows are scored in parallel; the
// result does not depend on the number of goroutines.
func (m *Model) Margins(X *feature.Matrix, out []float64) error {
	K := m.Outputs()
	if err := m.check(X, out, K); err != nil {
		return err
	}
	n, p := X.Rows, m.Features
	blocks := (n + predictBlock - 1) / predictBlock
	threads := 1
	if n*len(m.Trees) >= 1<<15 {
		threads = runtime.GOMAXPROCS(0)
	}
	parallel(threads, blocks, func(b int) {
		lo, hi := b*predictBlock, min((b+1)*predictBlock, n)
		rows := hi - lo
		buf := make([]float64, rows*p)
		for i := 0; i < rows; i++ {
			X.Row(lo+i, buf[i*p:])
			copy(out[(lo+i)*K:(lo+i+1)*K], m.Base)
		}
		for t := range m.Trees {
			tree := &m.Trees[t]
			k := t % K
			for i := 0; i < rows; i++ {
				out[(lo+i)*K+k] += tree.LeafValue[tree.Leaf(buf[i*p:(i+1)*p])]
			}
		}
	})
	return nil
}

// Importance returns, per feature, the total gain of the splits on it and the
// number of such splits.
func (m *Model) Importance() (gain []float64, splits []int) {
	gain = make([]float64, m.Features)
	splits = make([]int, m.Features)
	for t := range m.Trees {
		tree := &m.Trees[t]
		for i, nd := range tree.Nodes {
			gain[nd.Feature] += tree.Gain[i]
			splits[nd.Feature]++
		}
	}
	return gain, splits
}

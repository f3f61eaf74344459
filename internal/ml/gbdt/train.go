package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/ml/feature"
)

// Valid is a validation set for early stopping.
type Valid struct {
	X *feature.Matrix
	Y []float64
}

// Train fits a model on X and y. classes is 0 for regression, 2 for binary
// classification (y in {0, 1}) and K >= 3 for multiclass (y in 0..K-1). With
// a validation set and p.EarlyStoppingRounds > 0, training stops early and
// keeps the best round. ctx is checked between rounds.
func Train(ctx context.Context, X *feature.Matrix, y []float64, classes int, valid *Valid, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(X, y, classes, "training"); err != nil {
		return nil, err
	}
	if valid != nil {
		if err := checkData(valid.X, valid.Y, classes, "validation"); err != nil {
			return nil, err
		}
		if len(valid.X.Cols) != len(X.Cols) {
			return nil, lathe.Errorf(lathe.EINVALID, "the validation data has %d features, the training data %d", len(valid.X.Cols), len(X.Cols))
		}
	}
	if X.Rows >= math.MaxInt32 {
		return nil, lathe.Errorf(lathe.ETOOLARGE, "%d rows exceed the limit of %d", X.Rows, math.MaxInt32-1)
	}
	threads := p.threads()
	rng := rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	d := newDataset(X, p.MaxBins, rng, threads)
	obj := objective{classes: classes}
	K := obj.outputs()
	n := X.Rows

	m := &Model{Features: len(X.Cols), Classes: classes, Base: obj.base(y)}
	for f := range X.Features {
		m.Names = append(m.Names, X.Features[f].Name)
	}
	score := make([]float64, n*K)
	for r := 0; r < n; r++ {
		copy(score[r*K:], m.Base)
	}
	var vscore []float64
	if valid != nil {
		vscore = make([]float64, valid.X.Rows*K)
		for r := 0; r < valid.X.Rows; r++ {
			copy(vscore[r*K:], m.Base)
		}
	}
	gh := make([][]gpair, K)
	for k := range gh {
		gh[k] = make([]gpair, n)
	}
	gr := newGrower(&p, d, threads)
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	rows := make([]int32, n)
	var sample []int32
	inBag := n
	if p.RowSample < 1 {
		inBag = max(1, int(math.Round(p.RowSample*float64(n))))
	}
	nf := len(X.Cols)
	nsel := nf
	if p.ColSample < 1 {
		nsel = max(1, int(math.Round(p.ColSample*float64(nf))))
	}
	lr, l2 := p.LearningRate, p.L2
	leafValue := func(s stats) float64 {
		if s.h+l2 <= 0 {
			return 0
		}
		return -s.g / (s.h + l2) * lr
	}
	bestLoss, bestRound, stale := math.Inf(1), 0, 0
	leafOf := make([]int, 2*p.MaxLeaves)
	var vrows []float64
	if valid != nil {
		vrows = make([]float64, valid.X.Rows*nf)
		for i := 0; i < valid.X.Rows; i++ {
			valid.X.Row(i, vrows[i*nf:])
		}
	}
	for round := 0; round < p.Trees; round++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		obj.gradients(score, y, gh, threads)
		// Row sample: selection sampling keeps the rows in order.
		if inBag < n {
			sample = append(sample[:0], make([]int32, inBag)...)
			sampleRows(rng, sample, n)
		}
		for k := 0; k < K; k++ {
			var feats []int32
			if nsel < nf {
				feats = sampleFeatures(rng, nf, nsel)
			}
			r := rows[:inBag]
			if inBag == n {
				copy(r, all)
			} else {
				copy(r, sample)
			}
			gr.grow(r, gh[k], feats, inBag == n)
			t := gr.toTree(leafValue)
			m.Trees = append(m.Trees, t)
			// Update training scores: in-bag rows by their leaf segment,
			// out-of-bag rows by walking the binned tree.
			leaves := gr.leafNodes()
			parallel(threads, len(leaves), func(j int) {
				nd := &gr.nodes[leaves[j]]
				v := t.LeafValue[j]
				for _, r := range r[nd.begin:nd.end] {
					score[int(r)*K+k] += v
				}
			})
			if inBag < n {
				for j, li := range leaves {
					leafOf[li] = j
				}
				next := 0 // sample is sorted: walk it alongside 0..n-1
				for i := 0; i < n; i++ {
					if next < len(sample) && int(sample[next]) == i {
						next++
						continue
					}
					score[i*K+k] += t.LeafValue[leafOf[gr.binnedLeaf(i)]]
				}
			}
			if valid != nil {
				for i := 0; i < valid.X.Rows; i++ {
					vscore[i*K+k] += t.Predict(vrows[i*nf : (i+1)*nf])
				}
			}
		}
		if valid != nil {
			loss := obj.loss(vscore, valid.Y)
			m.ValidLoss = append(m.ValidLoss, loss)
			if loss < bestLoss-p.Tolerance {
				bestLoss, bestRound, stale = loss, round+1, 0
			} else if stale++; p.EarlyStoppingRounds > 0 && stale >= p.EarlyStoppingRounds {
				break
			}
		}
	}
	m.Rounds = len(m.Trees) / K
	if valid != nil && p.EarlyStoppingRounds > 0 && bestRound > 0 && bestRound < m.Rounds {
		m.Trees = m.Trees[:bestRound*K]
		m.Rounds = bestRound
	}
	m.BestRound = m.Rounds
	return m, nil
}

// sampleRows fills dst with len(dst) distinct rows of 0..n-1 in increasing
// order (Knuth's selection sampling).
func sampleRows(rng *rand.Rand, dst []int32, n int) {
	need := len(dst)
	k := 0
	for i := 0; i < n && k < need; i++ {
		if rng.IntN(n-i) < need-k {
			dst[k] = int32(i)
			k++
		}
	}
}

// sampleFeatures draws k of n features, returned in increasing order.
func sampleFeatures(rng *rand.Rand, n, k int) []int32 {
	perm := rng.Perm(n)[:k]
	out := make([]int32, k)
	for i, f := range perm {
		out[i] = int32(f)
	}
	slices.Sort(out)
	return out
}

func checkData(X *feature.Matrix, y []float64, classes int, what string) error {
	if X == nil || X.Rows == 0 {
		return lathe.Errorf(lathe.EINVALID, "the %s data has no rows", what)
	}
	if len(X.Cols) == 0 {
		return lathe.Errorf(lathe.EINVALID, "the %s data has no features", what)
	}
	if len(y) != X.Rows {
		return lathe.Errorf(lathe.EINVALID, "the %s data has %d rows but %d labels", what, X.Rows, len(y))
	}
	if classes == 1 || classes < 0 || classes > MaxClasses {
		return lathe.Errorf(lathe.EINVALID, "classes must be 0 (regression), 2 (binary) or 3..%d, got %d", MaxClasses, classes)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return lathe.Errorf(lathe.EINVALID, "%s label %d is %v; labels must be finite", what, i+1, v)
		}
		if classes > 0 && (v != math.Trunc(v) || v < 0 || v >= float64(classes)) {
			return lathe.Errorf(lathe.EINVALID, "%s label %d is %v; class labels must be integers in [0, %d)", what, i+1, v, classes)
		}
	}
	return nil
}

// MaxClasses is the most classes a multiclass model may have.
const MaxClasses = 10_000

// Package metric computes evaluation metrics for classifiers and regressors,
// with the same definitions as scikit-learn (ties, zero divisions and
// undefined cases included; an undefined value is NaN): accuracy,
// precision/recall/F1 (per class, macro and weighted), ROC AUC, PR AUC
// (average precision), log loss, the confusion matrix and the calibration
// curve; MAE, MSE, RMSE, R², MAPE. Classify and Regress gather them in one
// report.
package metric

import (
	"math"
	"slices"
)

// ConfusionMatrix counts rows by true class (first index) and predicted class
// (second index). Labels outside [0, k) are ignored.
func ConfusionMatrix(y, pred []int, k int) [][]int {
	cm := make([][]int, k)
	for i := range cm {
		cm[i] = make([]int, k)
	}
	for i, t := range y {
		if p := pred[i]; t >= 0 && t < k && p >= 0 && p < k {
			cm[t][p]++
		}
	}
	return cm
}

// Accuracy is the share of rows whose prediction equals the label.
func Accuracy(y, pred []int) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	ok := 0
	for i, t := range y {
		if pred[i] == t {
			ok++
		}
	}
	return float64(ok) / float64(len(y))
}

// PRF holds precision, recall and F1 of one class or an average, and the
// number of rows with that true class (the sum for averages).
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// PerClass returns precision, recall and F1 of every class from a confusion
// matrix. A zero denominator gives 0, as scikit-learn's zero_division=0 does.
func PerClass(cm [][]int) []PRF {
	k := len(cm)
	out := make([]PRF, k)
	for c := 0; c < k; c++ {
		tp, predicted, actual := cm[c][c], 0, 0
		for j := 0; j < k; j++ {
			predicted += cm[j][c]
			actual += cm[c][j]
		}
		p, r := ratio(tp, predicted), ratio(tp, actual)
		f := 0.0
		if p+r > 0 {
			f = 2 * p * r / (p + r)
		}
		out[c] = PRF{Precision: p, Recall: r, F1: f, Support: actual}
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Macro averages per-class values with equal weights.
func Macro(per []PRF) PRF {
	var out PRF
	for _, c := range per {
		out.Precision += c.Precision
		out.Recall += c.Recall
		out.F1 += c.F1
		out.Support += c.Support
	}
	n := float64(len(per))
	out.Precision /= n
	out.Recall /= n
	out.F1 /= n
	return out
}

// Weighted averages per-class values weighted by support.
func Weighted(per []PRF) PRF {
	var out PRF
	for _, c := range per {
		w := float64(c.Support)
		out.Precision += w * c.Precision
		out.Recall += w * c.Recall
		out.F1 += w * c.F1
		out.Support += c.Support
	}
	if out.Support == 0 {
		return PRF{}
	}
	n := float64(out.Support)
	out.Precision /= n
	out.Recall /= n
	out.F1 /= n
	return out
}

// byScore returns row indices sorted by decreasing score (stable).
func byScore(score []float64) []int {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	return idx
}

// ROCAUC is the area under the ROC curve of scores for the positive rows;
// tied scores count half. NaN when either class is absent.
func ROCAUC(pos []bool, score []float64) float64 {
	idx := byScore(score)
	var tp, fp, prevTP, prevFP, area float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			if pos[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		area += (fp - prevFP) * (tp + prevTP) / 2
		prevTP, prevFP = tp, fp
		i = j
	}
	if tp == 0 || fp == 0 {
		return math.NaN()
	}
	return area / (tp * fp)
}

// PRAUC is the average precision: Σ (R_n − R_{n−1}) · P_n over the distinct
// score thresholds, as scikit-learn's average_precision_score. NaN when there
// are no positive rows.
func PRAUC(pos []bool, score []float64) float64 {
	total := 0.0
	for _, p := range pos {
		if p {
			total++
		}
	}
	if total == 0 {
		return math.NaN()
	}
	idx := byScore(score)
	var tp, fp, prevR, ap float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			if pos[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		r := tp / total
		ap += (r - prevR) * tp / (tp + fp)
		prevR = r
		i = j
	}
	return ap
}

// probEps clips probabilities in LogLoss, as scikit-learn does.
const probEps = 1e-15

// LogLoss is the mean negative log-probability of the true class; proba holds
// k probabilities per row.
func LogLoss(y []int, proba []float64, k int) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	s := 0.0
	for i, t := range y {
		p := math.Min(math.Max(proba[i*k+t], probEps), 1-probEps)
		s -= math.Log(p)
	}
	return s / float64(len(y))
}

// CalibrationBin is one bin of a reliability curve.
type CalibrationBin struct {
	Lower         float64 `json:"lower"`
	Upper         float64 `json:"upper"`
	MeanPredicted float64 `json:"mean_predicted"`
	FracPositive  float64 `json:"fraction_positive"`
	Count         int     `json:"count"`
}

// Calibration splits [0, 1] into bins equal-width bins (a value on an edge
// goes to the lower bin) and returns, for every non-empty bin, the mean
// predicted probability and the observed share of positives, as
// scikit-learn's calibration_curve with strategy "uniform".
func Calibration(pos []bool, p []float64, bins int) []CalibrationBin {
	if bins < 1 {
		bins = 10
	}
	sumP := make([]float64, bins)
	sumY := make([]float64, bins)
	cnt := make([]int, bins)
	for i, v := range p {
		b := 0
		for b < bins-1 && float64(b+1)/float64(bins) < v {
			b++
		}
		sumP[b] += v
		if pos[i] {
			sumY[b]++
		}
		cnt[b]++
	}
	var out []CalibrationBin
	for b := 0; b < bins; b++ {
		if cnt[b] == 0 {
			continue
		}
		n := float64(cnt[b])
		out = append(out, CalibrationBin{
			Lower: float64(b) / float64(bins), Upper: float64(b+1) / float64(bins),
			MeanPredicted: sumP[b] / n, FracPositive: sumY[b] / n, Count: cnt[b],
		})
	}
	return out
}

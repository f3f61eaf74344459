package metric

import "math"

// Classification gathers the classification metrics of one evaluation.
// Precision, Recall and F1 are those of the positive class (index 1) for a
// binary task and the macro averages otherwise; ROC and PR AUC are
// one-vs-rest macro averages for multiclass.
type Classification struct {
	Count     int              `json:"count"`
	Accuracy  float64          `json:"accuracy"`
	Precision float64          `json:"precision"`
	Recall    float64          `json:"recall"`
	F1        float64          `json:"f1"`
	Macro     PRF              `json:"macro"`
	Weighted  PRF              `json:"weighted"`
	ROCAUC    float64          `json:"roc_auc"`
	PRAUC     float64          `json:"pr_auc"`
	LogLoss   float64          `json:"log_loss"`
	PerClass  []PRF            `json:"per_class"`
	Confusion [][]int          `json:"confusion_matrix"`
	Calib     []CalibrationBin `json:"calibration,omitempty"`
}

// CalibrationBins is the number of bins Classify uses for binary tasks.
const CalibrationBins = 10

// Classify computes every classification metric from true classes y (in
// [0, k)) and probabilities proba (k per row). The predicted class is the
// most probable one (for binary: p >= 0.5 is positive).
func Classify(y []int, proba []float64, k int) Classification {
	n := len(y)
	pred := make([]int, n)
	for i := range y {
		best := 0
		for c := 1; c < k; c++ {
			if proba[i*k+c] > proba[i*k+best] {
				best = c
			}
		}
		if k == 2 {
			best = 0
			if proba[i*k+1] >= 0.5 {
				best = 1
			}
		}
		pred[i] = best
	}
	cm := ConfusionMatrix(y, pred, k)
	per := PerClass(cm)
	r := Classification{
		Count: n, Accuracy: Accuracy(y, pred), Macro: Macro(per), Weighted: Weighted(per),
		LogLoss: LogLoss(y, proba, k), PerClass: per, Confusion: cm,
	}
	pos := make([]bool, n)
	score := make([]float64, n)
	if k == 2 {
		r.Precision, r.Recall, r.F1 = per[1].Precision, per[1].Recall, per[1].F1
		for i, t := range y {
			pos[i], score[i] = t == 1, proba[i*k+1]
		}
		r.ROCAUC = ROCAUC(pos, score)
		r.PRAUC = PRAUC(pos, score)
		r.Calib = Calibration(pos, score, CalibrationBins)
		return r
	}
	r.Precision, r.Recall, r.F1 = r.Macro.Precision, r.Macro.Recall, r.Macro.F1
	var auc, ap float64
	used := 0
	for c := 0; c < k; c++ {
		for i, t := range y {
			pos[i], score[i] = t == c, proba[i*k+c]
		}
		a, p := ROCAUC(pos, score), PRAUC(pos, score)
		if math.IsNaN(a) || math.IsNaN(p) {
			continue // a class absent from this data: leave it out of the average
		}
		auc += a
		ap += p
		used++
	}
	r.ROCAUC, r.PRAUC = math.NaN(), math.NaN()
	if used > 0 {
		r.ROCAUC, r.PRAUC = auc/float64(used), ap/float64(used)
	}
	return r
}

// Regression gathers the regression metrics of one evaluation.
type Regression struct {
	Count int     `json:"count"`
	MAE   float64 `json:"mae"`
	MSE   float64 `json:"mse"`
	RMSE  float64 `json:"rmse"`
	R2    float64 `json:"r2"`
	MAPE  float64 `json:"mape"`
}

// Regress computes every regression metric of predictions against y.
func Regress(y, pred []float64) Regression {
	r := Regression{Count: len(y), MAE: MAE(y, pred), MSE: MSE(y, pred), R2: R2(y, pred), MAPE: MAPE(y, pred)}
	r.RMSE = math.Sqrt(r.MSE)
	return r
}

// MAE is the mean absolute error.
func MAE(y, pred []float64) float64 {
	s := 0.0
	for i, v := range y {
		s += math.Abs(v - pred[i])
	}
	return s / float64(len(y))
}

// MSE is the mean squared error.
func MSE(y, pred []float64) float64 {
	s := 0.0
	for i, v := range y {
		d := v - pred[i]
		s += d * d
	}
	return s / float64(len(y))
}

// R2 is the coefficient of determination. When y is constant it is 1 for a
// perfect prediction and 0 otherwise, as scikit-learn's force_finite.
func R2(y, pred []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	mu := 0.0
	for _, v := range y {
		mu += v
	}
	mu /= float64(len(y))
	var res, tot float64
	for i, v := range y {
		res += (v - pred[i]) * (v - pred[i])
		tot += (v - mu) * (v - mu)
	}
	if tot == 0 {
		if res == 0 {
			return 1
		}
		return 0
	}
	return 1 - res/tot
}

// MAPE is the mean absolute percentage error as a fraction (0.1 = 10%),
// dividing by max(|y|, machine epsilon) as scikit-learn does.
func MAPE(y, pred []float64) float64 {
	s := 0.0
	for i, v := range y {
		s += math.Abs(v-pred[i]) / math.Max(math.Abs(v), 2.220446049250313e-16)
	}
	return s / float64(len(y))
}

package metric

import (
	"math"
	"reflect"
	"testing"
)

// Expected values were computed with scikit-learn 1.2.1 (Debian
// python3-sklearn) on the same vectors.

var (
	binY = []int{0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1}
	binP = []float64{0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.55, 0.05, 0.7}

	mcY = []int{0, 1, 2, 2, 1, 0, 2, 1, 0, 2}
	mcP = []float64{.7, .2, .1, .2, .5, .3, .1, .3, .6, .3, .3, .4, .4, .4, .2, .5, .3, .2, .2, .2, .6, .1, .8, .1, .3, .4, .3, .6, .2, .2}
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func binProba() []float64 {
	out := make([]float64, 2*len(binP))
	for i, p := range binP {
		out[2*i], out[2*i+1] = 1-p, p
	}
	return out
}

func TestClassifyGolden(t *testing.T) {
	t.Parallel()
	bin := Classify(binY, binProba(), 2)
	mc := Classify(mcY, mcP, 3)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"binary accuracy", bin.Accuracy, 0.75},
		{"binary precision", bin.Precision, 0.8},
		{"binary recall", bin.Recall, 0.6666666666666666},
		{"binary f1", bin.F1, 0.7272727272727272},
		{"binary macro precision", bin.Macro.Precision, 0.7571428571428571},
		{"binary macro recall", bin.Macro.Recall, 0.75},
		{"binary macro f1", bin.Macro.F1, 0.7482517482517481},
		{"binary weighted f1", bin.Weighted.F1, 0.7482517482517482},
		{"binary roc auc", bin.ROCAUC, 0.8611111111111112},
		{"binary pr auc", bin.PRAUC, 0.8819444444444443},
		{"binary log loss", bin.LogLoss, 0.440169257373783},
		{"multiclass accuracy", mc.Accuracy, 0.7},
		{"multiclass macro precision", mc.Macro.Precision, 0.7222222222222222},
		{"multiclass macro recall", mc.Macro.Recall, 0.6944444444444443},
		{"multiclass macro f1", mc.Macro.F1, 0.6984126984126985},
		{"multiclass weighted precision", mc.Weighted.Precision, 0.75},
		{"multiclass weighted recall", mc.Weighted.Recall, 0.7},
		{"multiclass weighted f1", mc.Weighted.F1, 0.7142857142857142},
		{"multiclass roc auc ovr macro", mc.ROCAUC, 0.8948412698412698},
		{"multiclass pr auc macro", mc.PRAUC, 0.8379629629629629},
		{"multiclass log loss", mc.LogLoss, 0.763375628441316},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s = %.17g, want %.17g", tt.name, tt.got, tt.want)
		}
	}
	if want := [][]int{{5, 1}, {2, 4}}; !reflect.DeepEqual(bin.Confusion, want) {
		t.Errorf("binary confusion = %v, want %v", bin.Confusion, want)
	}
	if want := [][]int{{2, 1, 0}, {1, 2, 0}, {1, 0, 3}}; !reflect.DeepEqual(mc.Confusion, want) {
		t.Errorf("multiclass confusion = %v, want %v", mc.Confusion, want)
	}
}

func TestCalibrationGolden(t *testing.T) {
	t.Parallel()
	pos := make([]bool, len(binY))
	for i, y := range binY {
		pos[i] = y == 1
	}
	got := Calibration(pos, binP, 4)
	wantTrue := []float64{0, 0.5, 0.6666666666666666, 1}
	wantPred := []float64{0.11666666666666668, 0.38749999999999996, 0.6333333333333334, 0.8500000000000001}
	if len(got) != len(wantTrue) {
		t.Fatalf("got %d bins, want %d", len(got), len(wantTrue))
	}
	total := 0
	for i, b := range got {
		if !near(b.FracPositive, wantTrue[i]) || !near(b.MeanPredicted, wantPred[i]) {
			t.Errorf("bin %d = %+v, want fraction %v mean %v", i, b, wantTrue[i], wantPred[i])
		}
		total += b.Count
	}
	if total != len(binP) {
		t.Errorf("bins count %d rows, want %d", total, len(binP))
	}
}

func TestRegressGolden(t *testing.T) {
	t.Parallel()
	r := Regress([]float64{3, -0.5, 2, 7, 1.5}, []float64{2.5, 0, 2, 8, 1})
	tests := []struct {
		name      string
		got, want float64
	}{
		{"mae", r.MAE, 0.5},
		{"mse", r.MSE, 0.35},
		{"rmse", r.RMSE, math.Sqrt(0.35)},
		{"r2", r.R2, 0.9429967426710097},
		{"mape", r.MAPE, 0.32857142857142857},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s = %.17g, want %.17g", tt.name, tt.got, tt.want)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		got, want float64
	}{
		// Hand-computed: one positive ranked above both negatives, one tied.
		{"auc with ties", ROCAUC([]bool{true, false, true, false}, []float64{0.9, 0.5, 0.5, 0.1}), 0.875},
		{"auc one class", ROCAUC([]bool{true, true}, []float64{0.1, 0.2}), math.NaN()},
		{"ap no positives", PRAUC([]bool{false, false}, []float64{0.1, 0.2}), math.NaN()},
		{"ap perfect", PRAUC([]bool{true, false, true}, []float64{0.9, 0.1, 0.8}), 1},
		{"r2 constant perfect", R2([]float64{2, 2}, []float64{2, 2}), 1},
		{"r2 constant wrong", R2([]float64{2, 2}, []float64{1, 2}), 0},
		{"mape zero target", MAPE([]float64{0}, []float64{1e-16}), 1e-16 / 2.220446049250313e-16},
		{"log loss clipped", LogLoss([]int{1}, []float64{1, 0}, 2), -math.Log(1e-15)},
		{"accuracy empty", Accuracy(nil, nil), math.NaN()},
	}
	for _, tt := range tests {
		if math.IsNaN(tt.want) != math.IsNaN(tt.got) || !math.IsNaN(tt.want) && !near(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	// Zero division gives 0, as scikit-learn's zero_division=0.
	per := PerClass(ConfusionMatrix([]int{0, 0}, []int{0, 0}, 2))
	if per[1] != (PRF{}) {
		t.Errorf("class never predicted nor present = %+v, want zeros", per[1])
	}
}

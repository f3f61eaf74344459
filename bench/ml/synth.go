package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	"github.com/latheml/lathe/internal/ml/frame"
)

// synthFeatures is the width of the generated data set.
const synthFeatures = 20

// synth generates rows × 20 standard-normal features (column-major) and a
// binary label from a logistic model with interactions and non-linear terms,
// so that trees have something to find.
func synth(rows int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 0xbe4c4))
	X := make([][]float64, synthFeatures)
	for j := range X {
		X[j] = make([]float64, rows)
	}
	y := make([]float64, rows)
	for i := 0; i < rows; i++ {
		for j := range X {
			X[j][i] = rng.NormFloat64()
		}
		z := X[0][i] + 0.5*X[1][i]*X[2][i] + math.Sin(2*X[3][i]) - 0.3*X[4][i]*X[4][i] + 0.2*X[5][i] + 0.3*math.Abs(X[6][i]) - 0.3
		if rng.Float64() < 1/(1+math.Exp(-2*z)) {
			y[i] = 1
		}
	}
	return X, y
}

// synthFrame wraps generated columns as a frame with a text label.
func synthFrame(X [][]float64, y []float64) *frame.Frame {
	f := &frame.Frame{}
	for j, c := range X {
		f.Columns = append(f.Columns, frame.NewNumeric("f"+strconv.Itoa(j), c))
	}
	lbl := make([]string, len(y))
	for i, v := range y {
		lbl[i] = "no"
		if v == 1 {
			lbl[i] = "yes"
		}
	}
	f.Columns = append(f.Columns, frame.NewCategorical("y", lbl))
	return f
}

// writeNPY writes column-major data as a C-order float64 .npy array of shape
// (rows, len(cols)), or (rows,) for one column.
func writeNPY(path string, rows int, cols [][]float64) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	shape := fmt.Sprintf("(%d, %d)", rows, len(cols))
	if len(cols) == 1 {
		shape = fmt.Sprintf("(%d,)", rows)
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape)
	pad := 64 - (10+len(header)+1)%64
	for i := 0; i < pad; i++ {
		header += " "
	}
	header += "\n"
	w := bufio.NewWriterSize(fh, 1<<20)
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(header)))
	w.WriteString(header)
	buf := make([]byte, 8)
	for i := 0; i < rows; i++ {
		for _, c := range cols {
			binary.LittleEndian.PutUint64(buf, math.Float64bits(c[i]))
			w.Write(buf)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return fh.Close()
}

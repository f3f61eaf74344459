package main

import (
	"fmt"
	"io"
	"math"
)

// figure is one measured value with its goal.
type figure struct {
	Key   string  `json:"key"`
	Label string  `json:"label"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	Goal  string  `json:"goal,omitempty"`
	Met   string  `json:"met,omitempty"` // met, missed, or empty (no goal)
}

// report is everything one run measured.
type report struct {
	Machine  string             `json:"machine"`
	Settings map[string]float64 `json:"settings"`
	Figures  []figure           `json:"figures"`
}

func (r *report) add(key, label string, v float64, unit, goal, met string) {
	r.Figures = append(r.Figures, figure{Key: key, Label: label, Value: round(v), Unit: unit, Goal: goal, Met: met})
}

func round(v float64) float64 { return math.Round(v*100) / 100 }

// print writes the figures as a Markdown table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "machine: %s\n\n", r.Machine)
	fmt.Fprintln(w, "| figure | value | goal | met? |")
	fmt.Fprintln(w, "|---|---:|---|---|")
	for _, f := range r.Figures {
		goal := f.Goal
		if goal != "" && f.Unit != "" {
			goal += " " + f.Unit
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", f.Label, value(f), goal, f.Met)
	}
}

func value(f figure) string {
	switch {
	case f.Unit == "":
		return fmt.Sprintf("%.2f", f.Value)
	case f.Unit == "×":
		return fmt.Sprintf("%.1f×", f.Value)
	case math.Abs(f.Value) >= 100:
		return fmt.Sprintf("%.0f %s", f.Value, f.Unit)
	default:
		return fmt.Sprintf("%.1f %s", f.Value, f.Unit)
	}
}

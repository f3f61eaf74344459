// Package demo is the lifecycle tour `lathe demo` runs against a live server:
// a list of stages, each a client of the public API doing what a user would,
// on a real data set embedded in the binary. Each capability adds its stage.
package demo

import (
	"compress/gzip"
	"context"
	"embed"
	"fmt"
	"io"
	"time"

	"github.com/latheml/lathe/internal/client"
)

//go:embed data/*.csv.gz
var dataFS embed.FS

// Dataset returns an embedded data set by file name (e.g.
// "bank_marketing_train.csv"), decompressed.
func Dataset(name string) ([]byte, error) {
	f, err := dataFS.Open("data/" + name + ".gz")
	if err != nil {
		return nil, fmt.Errorf("embedded data set %s: %w", name, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("embedded data set %s: %w", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("embedded data set %s: %w", name, err)
	}
	return b, nil
}

// Env is what stages share: the API clients, the workspace, where to report,
// and facts earlier stages leave for later ones.
type Env struct {
	// Admin is a client with the admin token; Client is the one stages use
	// to act as the demo's data scientist once the governance stage made her.
	Admin     *client.Client
	Client    *client.Client
	URL       string
	Workspace string
	Out       io.Writer
	Facts     map[string]string
}

// Say prints one line of the stage's report.
func (e *Env) Say(format string, args ...any) {
	fmt.Fprintf(e.Out, "      "+format+"\n", args...)
}

// Stage is one step of the tour.
type Stage struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, e *Env) error
}

// Stages returns the tour, in lifecycle order.
func Stages() []Stage {
	return []Stage{
		{Name: "governance", Summary: "create a workspace and a data scientist in it, with a studio sign-in link", Run: governance},
		{Name: "data", Summary: "register the bank-marketing splits as data assets, uploaded once and profiled", Run: registerData},
		{Name: "training", Summary: "a prep → train → evaluate pipeline of built-in components, each step a command job on local compute logging to MLflow; run twice, the second reuses every step", Run: train},
	}
}

// Run runs every stage in order, reporting each, and stops at the first
// failure.
func Run(ctx context.Context, e *Env) error {
	stages := Stages()
	for i, s := range stages {
		fmt.Fprintf(e.Out, "[%d/%d] %s: %s\n", i+1, len(stages), s.Name, s.Summary)
		start := time.Now()
		if err := s.Run(ctx, e); err != nil {
			return fmt.Errorf("demo stage %s: %w", s.Name, err)
		}
		e.Say("done in %s", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

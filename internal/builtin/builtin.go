// Package builtin holds Lathe's built-in components: tabular data splitting,
// training, evaluation and AutoML on the pure-Go learners of internal/ml.
// They run inside jobs as `lathe exec builtin <name> --flags...` and log to
// the job's MLflow run through the MLflow REST API, exactly as a user's
// Python script would, so no Python is needed anywhere.
package builtin

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// Env is what a component runs with.
type Env struct {
	Stdout io.Writer
	// Tracker logs to the job's MLflow run; nil when there is none (the
	// component then only writes its outputs).
	Tracker *Tracker
	Now     func() time.Time
}

// Component is one built-in component.
type Component struct {
	Name    string
	Summary string
	// Spec is the commandComponent YAML that describes it to pipelines.
	Spec string
	run  func(ctx context.Context, fs *flag.FlagSet, args []string, env Env) error
}

// Components returns the built-in components by name.
func Components() map[string]Component {
	cs := []Component{splitComponent(), trainComponent(), evaluateComponent(), automlComponent()}
	out := make(map[string]Component, len(cs))
	for _, c := range cs {
		out[c.Name] = c
	}
	return out
}

// Names lists the components in order.
func Names() []string {
	var out []string
	for n := range Components() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Run runs the named component with its command-line arguments.
func Run(ctx context.Context, name string, args []string, env Env) error {
	c, ok := Components()[name]
	if !ok {
		return lathe.Errorf(lathe.EINVALID, "no built-in component %q; the built-ins are %s", name, strings.Join(Names(), ", "))
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := c.run(ctx, fs, args, env); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// parse parses flags, turning flag errors into invalid-input errors that
// list the flags.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
		return lathe.Errorf(lathe.EINVALID, "%v; flags: %s", err, strings.Join(names, " "))
	}
	if fs.NArg() > 0 {
		return lathe.Errorf(lathe.EINVALID, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// required checks that the named string flags were given.
func required(vals map[string]string) error {
	var missing []string
	for k, v := range vals {
		if v == "" {
			missing = append(missing, "--"+k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return lathe.Errorf(lathe.EINVALID, "missing %s", strings.Join(missing, ", "))
	}
	return nil
}

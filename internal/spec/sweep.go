package spec

import (
	"time"

	"github.com/latheml/lathe"
)

// SweepJob is Azure's sweepJob. Lathe parses and checks it so that files
// written for Azure are understood, but cannot run it yet: CheckSupported
// refuses it.
type SweepJob struct {
	Meta
	JobInfo
	Pos Pos
	// Trial is the command each trial runs (inline), or TrialComponent a
	// component file or asset.
	Trial          *SweepTrial
	TrialComponent *Ref
	Inputs         map[string]*Input
	Outputs        map[string]*Output
	// SamplingAlgorithm is random, grid or bayesian; Seed and Rule
	// (random or sobol) tune random sampling.
	SamplingAlgorithm string
	Seed              int64
	Rule              string
	SearchSpace       map[string]*Distribution
	Objective         Objective
	Limits            SweepLimits
	EarlyTermination  *EarlyTermination
}

// Kind implements Document.
func (*SweepJob) Kind() Kind { return KindSweepJob }

// SweepTrial is the command a sweep runs for each trial.
type SweepTrial struct {
	Pos                  Pos
	Command              Command
	Code                 *Ref
	Environment          *EnvRef
	EnvironmentVariables map[string]string
	Resources            *Resources
}

// Distribution is one search space variable: choice (Values), randint
// (Upper), uniform and loguniform (Min, Max), quniform and qloguniform
// (Min, Max, Q), normal and lognormal (Mu, Sigma), qnormal and qlognormal
// (Mu, Sigma, Q).
type Distribution struct {
	Pos    Pos
	Type   string
	Values []Literal
	Upper  int64
	Min    float64
	Max    float64
	Mu     float64
	Sigma  float64
	Q      float64
}

// Objective is the metric a sweep optimises.
type Objective struct {
	Goal          string // minimize or maximize
	PrimaryMetric string
}

// SweepLimits bound a sweep.
type SweepLimits struct {
	MaxTotalTrials      int64
	MaxConcurrentTrials int64
	Timeout             time.Duration
	TrialTimeout        time.Duration
}

// EarlyTermination stops unpromising trials.
type EarlyTermination struct {
	Type                 string // bandit, median_stopping or truncation_selection
	EvaluationInterval   int64
	DelayEvaluation      int64
	SlackFactor          float64
	SlackAmount          float64
	TruncationPercentage int64
}

var sweepSchema = schema{
	name: "sweepJob",
	fields: append([]string{"$schema", "type", "trial", "inputs", "outputs", "sampling_algorithm", "search_space",
		"objective", "limits", "early_termination"}, jobInfoFields...),
	rejected: withRefused(jobRefused),
}

var trialSchema = schema{
	name:     "trial",
	fields:   []string{"command", "code", "environment", "environment_variables", "resources"},
	rejected: map[string]string{"distribution": jobRefused["distribution"]},
}

var distFields = map[string][]string{
	"choice":      {"values"},
	"randint":     {"upper"},
	"uniform":     {"min_value", "max_value"},
	"loguniform":  {"min_value", "max_value"},
	"quniform":    {"min_value", "max_value", "q"},
	"qloguniform": {"min_value", "max_value", "q"},
	"normal":      {"mu", "sigma"},
	"lognormal":   {"mu", "sigma"},
	"qnormal":     {"mu", "sigma", "q"},
	"qlognormal":  {"mu", "sigma", "q"},
}

func decodeSweepJob(d *dec, root *node, m Meta) *SweepJob {
	s := &SweepJob{Meta: m, Pos: root.pos, SamplingAlgorithm: "random"}
	var trial *entry
	d.fields(root, &sweepSchema, "sweepJob", func(c *entry) {
		switch {
		case d.jobInfo(c, &s.JobInfo, ""):
		case c.key == "type":
			d.typeField(c, "sweep")
		case c.key == "trial":
			trial = c
		case c.key == "inputs":
			s.Inputs = d.inputs(c, "inputs", scopeJob)
		case c.key == "outputs":
			s.Outputs = d.outputs(c, "outputs", scopeJob)
		case c.key == "sampling_algorithm":
			d.sampling(s, c)
		case c.key == "search_space":
			s.SearchSpace = d.searchSpace(c)
		case c.key == "objective":
			d.fields(c.val, &schema{name: "objective", fields: []string{"goal", "primary_metric"}}, "objective", func(x *entry) {
				if x.key == "goal" {
					s.Objective.Goal = d.oneOf(x, "objective.goal", []string{"minimize", "maximize"}, nil)
				} else {
					s.Objective.PrimaryMetric = d.reqStr(x, "objective.primary_metric")
				}
			})
		case c.key == "limits":
			d.sweepLimits(s, c)
		case c.key == "early_termination":
			s.EarlyTermination = d.earlyTermination(c)
		}
	})
	for _, f := range []string{"trial", "search_space", "objective", "limits"} {
		if root.get(f) == nil {
			d.errf(root.pos, "sweepJob has no %s; add it", f)
		}
	}
	if s.Objective.PrimaryMetric == "" && root.get("objective") != nil {
		d.errf(root.get("objective").keyPos, "objective needs primary_metric: the MLflow metric to optimise")
	}
	if trial != nil {
		if trial.val.kind == nScalar {
			if r, err := ParseRef(trial.val.text); err != nil {
				d.errf(trial.val.pos, "trial: %s", lathe.ErrorMessage(err))
			} else {
				s.TrialComponent = &r
			}
		} else {
			t := &SweepTrial{Pos: trial.keyPos}
			var lim Limits
			d.fields(trial.val, &trialSchema, "trial", func(c *entry) {
				d.commandFields(c, "trial", &t.Command, &t.Code, &t.Environment, &t.EnvironmentVariables, &t.Resources, &lim)
			})
			if trial.val.get("command") == nil {
				d.errf(trial.keyPos, "trial has no command")
			}
			sc := scopeOf(s.Inputs, nil, s.Outputs)
			sc.search = map[string]bool{}
			for k := range s.SearchSpace {
				sc.search[k] = false
			}
			d.checkCommand(t.Command, sc, "trial.command")
			d.checkEnvVars(t.EnvironmentVariables, trial.val.get("environment_variables"), sc)
			s.Trial = t
		}
	}
	return s
}

func (d *dec) sampling(s *SweepJob, c *entry) {
	algos := []string{"random", "grid", "bayesian"}
	if c.val.kind != nMap {
		s.SamplingAlgorithm = d.oneOf(c, "sampling_algorithm", algos, nil)
		return
	}
	sch := schema{name: "sampling_algorithm", fields: []string{"type", "seed", "rule", "logbase"}}
	d.fields(c.val, &sch, "sampling_algorithm", func(x *entry) {
		p := join("sampling_algorithm", x.key)
		switch x.key {
		case "type":
			s.SamplingAlgorithm = d.oneOf(x, p, algos, nil)
		case "seed":
			s.Seed, _ = d.integer(x, p)
		case "rule":
			s.Rule = d.oneOf(x, p, []string{"random", "sobol"}, nil)
		case "logbase":
			if x.val.text != "e" {
				d.number(x, p)
			}
		}
	})
}

func (d *dec) searchSpace(c *entry) map[string]*Distribution {
	if c.val.kind != nMap {
		d.errf(c.keyPos, "search_space must be a mapping of variable names to distributions, not %s", describe(c.val))
		return nil
	}
	out := map[string]*Distribution{}
	for i := range c.val.entries {
		v := &c.val.entries[i]
		p := join("search_space", v.key)
		if !isIdent(v.key) {
			d.errf(v.keyPos, "search space variable %q: use letters, digits and _", clip(v.key, 80))
			continue
		}
		dist := &Distribution{Pos: v.keyPos}
		typ := ""
		if t := v.val.get("type"); t != nil {
			typ = d.oneOf(t, join(p, "type"), keys(distFields), nil)
		} else {
			d.errf(v.keyPos, "%s has no type; use one of choice, randint, uniform, loguniform, normal, ...", p)
		}
		dist.Type = typ
		fields := append([]string{"type"}, distFields[typ]...)
		d.fields(v.val, &schema{fields: fields}, p, func(x *entry) {
			xp := join(p, x.key)
			switch x.key {
			case "values":
				if x.val.kind != nSeq || len(x.val.items) == 0 {
					d.errf(x.keyPos, "%s must be a non-empty list", xp)
					return
				}
				for _, it := range x.val.items {
					if it.kind != nScalar {
						d.errf(it.pos, "%s: a choice is a single value, not %s", xp, describe(it))
						continue
					}
					dist.Values = append(dist.Values, *literalOf(it))
				}
			case "upper":
				dist.Upper, _ = d.integer(x, xp)
			case "min_value":
				dist.Min, _ = d.number(x, xp)
			case "max_value":
				dist.Max, _ = d.number(x, xp)
			case "mu":
				dist.Mu, _ = d.number(x, xp)
			case "sigma":
				dist.Sigma, _ = d.number(x, xp)
			case "q":
				dist.Q, _ = d.number(x, xp)
			}
		})
		for _, f := range distFields[typ] {
			if v.val.get(f) == nil {
				d.errf(v.keyPos, "%s (%s) needs %s", p, typ, f)
			}
		}
		out[v.key] = dist
	}
	return out
}

func (d *dec) sweepLimits(s *SweepJob, c *entry) {
	sch := schema{name: "limits", fields: []string{"max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"}}
	d.fields(c.val, &sch, "limits", func(x *entry) {
		p := join("limits", x.key)
		switch x.key {
		case "max_total_trials":
			s.Limits.MaxTotalTrials, _ = d.integer(x, p)
		case "max_concurrent_trials":
			s.Limits.MaxConcurrentTrials, _ = d.integer(x, p)
		case "timeout":
			s.Limits.Timeout = d.seconds(x, p)
		case "trial_timeout":
			s.Limits.TrialTimeout = d.seconds(x, p)
		}
	})
	if c.val.kind == nMap && c.val.get("max_total_trials") == nil {
		d.errf(c.keyPos, "limits needs max_total_trials")
	}
}

func (d *dec) earlyTermination(c *entry) *EarlyTermination {
	et := &EarlyTermination{}
	sch := schema{name: "early_termination", fields: []string{"type", "evaluation_interval", "delay_evaluation",
		"slack_factor", "slack_amount", "truncation_percentage"}}
	d.fields(c.val, &sch, "early_termination", func(x *entry) {
		p := join("early_termination", x.key)
		switch x.key {
		case "type":
			et.Type = d.oneOf(x, p, []string{"bandit", "median_stopping", "truncation_selection"}, nil)
		case "evaluation_interval":
			et.EvaluationInterval, _ = d.integer(x, p)
		case "delay_evaluation":
			et.DelayEvaluation, _ = d.integer(x, p)
		case "slack_factor":
			et.SlackFactor, _ = d.number(x, p)
		case "slack_amount":
			et.SlackAmount, _ = d.number(x, p)
		case "truncation_percentage":
			et.TruncationPercentage, _ = d.integer(x, p)
		}
	})
	return et
}

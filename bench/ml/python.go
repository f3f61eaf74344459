package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
)

// python runs one task of sklearn_baseline.py and decodes its JSON answer.
type python struct {
	exe, script         string
	threads             int
	bankTrain, bankTest string
	synthPrefix         string
}

func (p *python) run(ctx context.Context, out any, task string, extra ...string) error {
	args := []string{p.script, task, "--bank-train", p.bankTrain, "--bank-test", p.bankTest}
	if p.synthPrefix != "" {
		args = append(args, "--synth-prefix", p.synthPrefix)
	}
	args = append(args, extra...)
	cmd := exec.CommandContext(ctx, p.exe, args...)
	th := strconv.Itoa(p.threads)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+th, "OPENBLAS_NUM_THREADS="+th, "MKL_NUM_THREADS="+th)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", p.exe, task, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("%s %s: bad output %q: %v", p.exe, task, stdout.String(), err)
	}
	return nil
}

// scriptPath finds sklearn_baseline.py next to this source file, or under
// bench/ml of the working directory.
func scriptPath() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "sklearn_baseline.py")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return filepath.Join("bench", "ml", "sklearn_baseline.py")
}

// cpuTime returns the process's user+system CPU seconds so far.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

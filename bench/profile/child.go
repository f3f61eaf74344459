package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/latheml/lathe/internal/profile"
)

// measurement is what one child process reports.
type measurement struct {
	Rows        int64                   `json:"rows"`
	Seconds     float64                 `json:"seconds"`
	CPUSeconds  float64                 `json:"cpu_seconds"`
	VmHWMKiB    int64                   `json:"vmhwm_kib"`
	ImportKiB   int64                   `json:"import_vmhwm_kib,omitempty"` // pandas: peak RSS after importing pandas
	Pandas      string                  `json:"pandas,omitempty"`
	ProfileJSON string                  `json:"profile,omitempty"` // Lathe: the profile, when asked for
	Columns     map[string]pandasColumn `json:"columns,omitempty"`
}

// pandasColumn is one column of pandas' describe(include='all').
type pandasColumn struct {
	Count  int64    `json:"count"`
	Mean   *float64 `json:"mean"`
	Std    *float64 `json:"std"`
	Min    *float64 `json:"min"`
	P25    *float64 `json:"25%"`
	P50    *float64 `json:"50%"`
	P75    *float64 `json:"75%"`
	Max    *float64 `json:"max"`
	Unique *int64   `json:"unique"`
	Top    string   `json:"top"`
	Freq   int64    `json:"freq"`
}

// childProfile is the -child mode: profile path (nothing when path is
// empty), then print a measurement with this process's peak RSS. The
// profile itself goes along when withProfile is set.
func childProfile(ctx context.Context, path string, withProfile bool) error {
	var m measurement
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		cpu0, start := cpuSeconds(), time.Now()
		p, err := profile.ProfileCSV(ctx, f, profile.CSVOptions{})
		if err != nil {
			return err
		}
		m.Seconds, m.CPUSeconds = time.Since(start).Seconds(), cpuSeconds()-cpu0
		m.Rows = p.Rows
		if withProfile {
			b, err := json.Marshal(p)
			if err != nil {
				return err
			}
			m.ProfileJSON = string(b)
		}
	}
	kib, err := peakRSS()
	if err != nil {
		return err
	}
	m.VmHWMKiB = kib
	return json.NewEncoder(os.Stdout).Encode(m)
}

// runLathe profiles path in a child process (this program re-run).
func runLathe(ctx context.Context, path string, withProfile bool) (measurement, error) {
	exe, err := os.Executable()
	if err != nil {
		return measurement{}, err
	}
	args := []string{"-child", path}
	if path == "" {
		args = []string{"-child-none"}
	}
	if withProfile {
		args = append(args, "-child-profile")
	}
	return runChild(exec.CommandContext(ctx, exe, args...))
}

// runPandas runs the pandas baseline on path.
func runPandas(ctx context.Context, python, script, path string, stats bool) (measurement, error) {
	args := []string{script, path}
	if stats {
		args = append(args, "--stats")
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1")
	return runChild(cmd)
}

func runChild(cmd *exec.Cmd) (measurement, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	var m measurement
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		return m, fmt.Errorf("%s printed %q: %w", strings.Join(cmd.Args, " "), stdout.String(), err)
	}
	return m, nil
}

// peakRSS returns this process's peak resident set size in KiB (VmHWM).
// A child's rusage would not do: Linux carries the parent's peak over into
// the child's ru_maxrss through fork and exec.
func peakRSS() (int64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			_, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib)
			return kib, err
		}
	}
	return 0, errors.New("peak RSS: no VmHWM in /proc/self/status")
}

// cpuSeconds returns this process's user+system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

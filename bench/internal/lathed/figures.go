package lathed

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// The helpers below summarise what the benchmarks that run a server
// measure, so that their figures are computed and labelled alike.

// Median is the median of d (nearest rank); 0 for none.
func Median(d []time.Duration) time.Duration { return Percentile(d, 50) }

// Percentile is the p-th percentile of d (nearest rank); 0 for none. It
// does not reorder d.
func Percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := (p*len(s) + 99) / 100
	return s[min(max(k-1, 0), len(s)-1)]
}

// Machine describes where the benchmark runs: the CPU model (from
// /proc/cpuinfo, else the architecture), the number of CPUs and the Go
// version.
func Machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, %s", model, runtime.NumCPU(), runtime.Version())
}

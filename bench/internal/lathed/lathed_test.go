package lathed

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, text string
		n          int
		want       string
	}{
		{"more lines than asked", "a\nb\nc\nd\n", 2, "c\nd"},
		{"fewer lines than asked", "a\nb\n", 5, "a\nb"},
		{"no final newline", "a\nb\nc", 1, "c"},
		{"empty file", "", 3, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, string(rune('a'+i)))
			if err := os.WriteFile(p, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := Tail(p, tt.n); got != tt.want {
				t.Errorf("Tail(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
			}
		})
	}
	if got := Tail(filepath.Join(dir, "missing"), 3); got != "" {
		t.Errorf("Tail of a missing file = %q, want empty", got)
	}
}

func TestParseStat(t *testing.T) {
	t.Parallel()
	// After the name: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt, then utime stime cutime cstime (ticks).
	tests := []struct {
		name    string
		stat    string
		want    CPU
		wantErr bool
	}{
		{"plain", "42 (lathe) S 1 2 3 0 -1 0 10 0 0 0 150 50 300 100 20 0", CPU{Self: 2 * time.Second, Children: 4 * time.Second}, false},
		{"name with spaces and parens", "42 (a) b (c) S 1 2 3 0 -1 0 10 0 0 0 1 2 3 4 20 0", CPU{Self: 30 * time.Millisecond, Children: 70 * time.Millisecond}, false},
		{"no command name", "42 lathe S 1 2", CPU{}, true},
		{"too few fields", "42 (lathe) S 1 2 3", CPU{}, true},
		{"not a number", "42 (lathe) S 1 2 3 0 -1 0 10 0 0 0 x 50 300 100 20 0", CPU{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStat(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error = %v, want error %v", tt.stat, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseStat(%q) = %+v, want %+v", tt.stat, got, tt.want)
			}
		})
	}
}

func TestCPUOfSelf(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, err := cpuOf(os.Getpid()); err != nil {
		t.Fatalf("cpuOf(own pid): %v", err)
	}
}

func TestCPUSub(t *testing.T) {
	t.Parallel()
	a := CPU{Self: 5 * time.Second, Children: 3 * time.Second}
	b := CPU{Self: 2 * time.Second, Children: time.Second}
	if got, want := a.Sub(b), (CPU{Self: 3 * time.Second, Children: 2 * time.Second}); got != want {
		t.Errorf("Sub = %+v, want %+v", got, want)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name string
		d    []time.Duration
		p    int
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 90, 7 * time.Millisecond},
		{"median of odd, unsorted", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even is the lower", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p90 of ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 90, 9 * time.Millisecond},
		{"p100 is the largest", ms(2, 8, 5), 100, 8 * time.Millisecond},
		{"p0 is the smallest", ms(2, 8, 5), 0, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := append([]time.Duration(nil), tt.d...)
			if got := Percentile(tt.d, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %d) = %v, want %v", tt.d, tt.p, got, tt.want)
			}
			for i := range before {
				if tt.d[i] != before[i] {
					t.Fatalf("Percentile reordered its input: %v, was %v", tt.d, before)
				}
			}
		})
	}
	if got := Median(ms(3, 1, 2)); got != 2*time.Millisecond {
		t.Errorf("Median = %v, want 2ms", got)
	}
}

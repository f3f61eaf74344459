package lathed

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU is a process's CPU time (user + system): its own, and that of its
// children it has waited for.
type CPU struct{ Self, Children time.Duration }

// Sub is the CPU time spent between an earlier reading o and c.
func (c CPU) Sub(o CPU) CPU { return CPU{c.Self - o.Self, c.Children - o.Children} }

// clockTick is the unit of /proc/<pid>/stat times: 1/100 s, the Linux
// USER_HZ.
const clockTick = 10 * time.Millisecond

// cpuOf reads /proc/<pid>/stat (Linux only).
func cpuOf(pid int) (CPU, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return CPU{}, err
	}
	c, err := parseStat(string(b))
	if err != nil {
		return CPU{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return c, nil
}

// parseStat reads utime, stime, cutime and cstime (fields 14 to 17) from
// the text of a /proc/<pid>/stat file. The command name (field 2) is
// parenthesised and may hold spaces and parentheses, so fields are counted
// from its last ')'.
func parseStat(s string) (CPU, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return CPU{}, fmt.Errorf("unexpected format: no ')' after the command name")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return CPU{}, fmt.Errorf("too few fields: %d after the command name, want at least 15", len(f))
	}
	var t [4]int64
	for k := range t {
		v, err := strconv.ParseInt(f[11+k], 10, 64)
		if err != nil {
			return CPU{}, err
		}
		t[k] = v
	}
	return CPU{Self: time.Duration(t[0]+t[1]) * clockTick, Children: time.Duration(t[2]+t[3]) * clockTick}, nil
}

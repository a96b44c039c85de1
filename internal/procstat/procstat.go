// Package procstat reads what the benchmarks report about a process from
// /proc: its resident memory and the CPU time it used.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// RSSKB returns the resident set size of process pid in KiB.
func RSSKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strconv.Atoi(strings.Fields(line)[1])
		}
	}
	return 0, errors.New("procstat: no VmRSS line")
}

// userHZ is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on
// every Linux architecture Go supports.
const userHZ = 100

// CPU returns the CPU time, user and system, that process pid has used.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it are
	// state, ppid, … with utime and stime the 12th and 13th.
	i := strings.LastIndex(string(b), ") ")
	if i < 0 {
		return 0, errors.New("procstat: no command name in stat line")
	}
	fields := strings.Fields(string(b)[i+2:])
	if len(fields) < 13 {
		return 0, errors.New("procstat: short stat line")
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("procstat: stat line: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

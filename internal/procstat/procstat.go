// Package procstat reads what the benchmarks report about a process from
// /proc: its resident memory.
package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
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

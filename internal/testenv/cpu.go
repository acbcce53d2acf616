package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// CPUServers are the stack's servers whose CPU time CPUSeconds reports, with this process as
// "ferry" (the pipeline code a benchmark runs in-process).
var CPUServers = []string{"source", "copy", "broker", "clickhouse", "ferry"}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux build that
// matters here (it is fixed by the kernel ABI, not by CONFIG_HZ).
const clockTicks = 100

// CPUSeconds returns the CPU time (user + system) that each of CPUServers has used so far; a
// server whose pid cannot be read is missing from the map. Benchmarks subtract two readings to
// show where the CPU of a run went on a machine whose cores all the servers share.
func (s *Stack) CPUSeconds() map[string]float64 {
	out := map[string]float64{}
	for _, name := range CPUServers {
		if name == "ferry" {
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				out[name] = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
			}
			continue
		}
		if sec, ok := procCPUSeconds(filepath.Join(s.Dir, "run", name+".pid")); ok {
			out[name] = sec
		}
	}
	return out
}

func tvSeconds(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

// procCPUSeconds reads utime + stime of the process whose pid is in pidFile.
func procCPUSeconds(pidFile string) (float64, bool) {
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(pid)))
	if err != nil {
		return 0, false
	}
	return ProcessCPUSeconds(n)
}

// ProcessCPUSeconds reads the CPU time (utime + stime) that process pid has used so far; false
// when the process is gone or its stat cannot be parsed.
func ProcessCPUSeconds(pid int) (float64, bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(stat)[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (ut + st) / clockTicks, true
}

package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times: 100 on every architecture Go
// supports (the kernel scales its internal HZ to it for user space).
const clockTicks = 100

// errStatFormat is a /proc/PID/stat line without readable utime and stime.
var errStatFormat = errors.New("no CPU times in /proc/PID/stat")

// pidCPU is the CPU time (user + system, every thread) process pid has used, from /proc/PID/stat;
// 0 when it cannot be read (checkPID says why, before a bench relies on it). Its resolution is
// 10 ms, fine for phases of seconds.
func pidCPU(pid int) time.Duration {
	d, _ := readPIDCPU(pid)
	return d
}

// checkPID says why pid's CPU time cannot be read.
func checkPID(pid int) error {
	_, err := readPIDCPU(pid)
	return err
}

func readPIDCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("no such process to measure: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat line. The command name
// (field 2) is in parentheses and may hold spaces or parentheses itself, so fields are counted from
// the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errStatFormat
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errStatFormat
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errStatFormat
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

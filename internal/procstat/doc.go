// Package procstat measures the CPU time and memory of this process and of
// child processes, for the benchmarks' reports. Figures the operating
// system does not give are 0: /proc is read on Linux, getrusage on every
// Unix; on other systems (Windows) the benchmarks still run and report 0.
package procstat

package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/minikafka/minikafka"
)

// serveMain is the child side: `bench -serve=NAME [-opts a,b] ...` starts
// one broker on 127.0.0.1:0 and speaks a line protocol with the parent:
//
//	child:  addr HOST:PORT      once the broker accepts connections
//	parent: stat                child: stat PEAK_RSS_BYTES CPU_NANOSECONDS
//	parent: <EOF on stdin>      child: writes profiles, stat ..., exits
//
// The peak RSS is read before the broker is closed, so shutdown does not
// count.
func serveMain(args []string) int {
	fs := flag.NewFlagSet("bench -serve", flag.ContinueOnError)
	name := fs.String("serve", "", "broker to serve: minikafka or kfake")
	opts := fs.String("opts", "", "comma-separated target options")
	partitions := fs.Int("partitions", 3, "default partitions")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile here")
	memProfile := fs.String("memprofile", "", "write a heap (alloc) profile here on exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var optList []string
	if *opts != "" {
		optList = strings.Split(*opts, ",")
	}
	addr, closeFn, err := startBroker(*name, optList, *partitions)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench -serve:", err)
		return 1
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve:", err)
			return 1
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve:", err)
			return 1
		}
		defer f.Close()
	}
	fmt.Printf("addr %s\n", addr)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "stat" {
			fmt.Printf("stat %d %d\n", peakRSS(), cpuTime())
		}
	}
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if *memProfile != "" {
		if f, err := os.Create(*memProfile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	fmt.Printf("stat %d %d\n", peakRSS(), cpuTime())
	closeFn()
	return 0
}

// startBroker starts the named broker with the given options and returns
// its bootstrap address and a function that stops it.
func startBroker(name string, opts []string, partitions int) (string, func(), error) {
	switch name {
	case "minikafka":
		cfg := minikafka.Config{
			Listeners:     []minikafka.Listener{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: "PLAINTEXT"}},
			NumPartitions: int32(partitions),
		}
		for _, o := range opts {
			apply, ok := minikafkaOptions[o]
			if !ok {
				return "", nil, fmt.Errorf("minikafka: unknown option %q", o)
			}
			if err := apply(&cfg); err != nil {
				return "", nil, fmt.Errorf("minikafka+%s: %w", o, err)
			}
		}
		b, err := minikafka.New(cfg)
		if err != nil {
			return "", nil, err
		}
		if err := b.Start(); err != nil {
			return "", nil, err
		}
		return b.BootstrapAddr(), func() { _ = b.Close() }, nil
	case "kfake":
		if len(opts) > 0 {
			return "", nil, fmt.Errorf("kfake takes no options, got %v", opts)
		}
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(partitions))
		if err != nil {
			return "", nil, err
		}
		return c.ListenAddrs()[0], c.Close, nil
	}
	return "", nil, fmt.Errorf("unknown broker %q (want minikafka or kfake)", name)
}

// peakRSS is the process's peak resident set size in bytes: VmHWM from
// /proc/self/status, or getrusage's maxrss where /proc is missing.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

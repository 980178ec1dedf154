package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample is one scrape of the broker's /metrics: the gauge of open Kafka
// connections and the successful authentications per mechanism.
type sample struct {
	connections int
	authOK      map[string]int64
	authFailed  int64
}

var metricsClient = &http.Client{Timeout: 5 * time.Second}

func scrape(ctx context.Context, adminAddr string) (sample, error) {
	s := sample{authOK: map[string]int64{}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+adminAddr+"/metrics", nil)
	if err != nil {
		return s, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("/metrics: HTTP %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "minikafka_connections_active{"):
			s.connections += int(value(line))
		case strings.HasPrefix(line, "minikafka_authentications_total{"):
			if strings.Contains(line, `result="success"`) {
				s.authOK[label(line, "mechanism")] += int64(value(line))
			} else {
				s.authFailed += int64(value(line))
			}
		}
	}
	return s, sc.Err()
}

// value is the sample value at the end of an exposition line.
func value(line string) float64 {
	i := strings.LastIndexByte(line, ' ')
	v, _ := strconv.ParseFloat(line[i+1:], 64)
	return v
}

// label returns a label's value in an exposition line.
func label(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

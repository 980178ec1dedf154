package broker

import (
	"sort"
	"strconv"
)

func atoiDefault(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func strp(s string) *string { return &s }

type connError string

func (e connError) Error() string { return string(e) }

const errConnClosed = connError("connection closed")

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

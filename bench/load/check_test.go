package main

import (
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// TestBatchRoundTrip: what batchBuilder writes, eachRecord reads back
// (stamps, offsets, the CRC), skipping records below the fetch offset and
// a partial batch at the end; a flipped byte fails the CRC.
func TestBatchRoundTrip(t *testing.T) {
	var bb batchBuilder
	b1 := append([]byte(nil), bb.build(7, 3, 100, 5, 40, 1234, 2, 1700000000000)...)
	binary.BigEndian.PutUint64(b1, 50) // base offset as the broker assigns it
	b2 := append([]byte(nil), bb.build(7, 3, 105, 2, 40, 1234, 2, 1700000000000)...)
	binary.BigEndian.PutUint64(b2, 55)
	if got := int32(binary.BigEndian.Uint32(b2[53:])); got != 105 {
		t.Fatalf("base sequence %d, want 105", got)
	}
	// The CRC starts at the attributes: rewriting the base offset keeps it valid.
	if binary.BigEndian.Uint32(b2[17:]) != crc32.Checksum(b2[21:], crc32c) {
		t.Fatal("bad CRC")
	}
	data := append(append(append([]byte(nil), b1...), b2...), b2[:30]...) // partial third batch
	var seqs []uint64
	next, err := eachRecord(data, 52, func(off int64, v []byte) error {
		prod, part, seq, ok := readStamp(v)
		if !ok || prod != 7 || part != 3 || len(v) != 40 {
			t.Errorf("offset %d: stamp %d %d %d %v, len %d", off, prod, part, seq, ok, len(v))
		}
		if want := uint64(off - 50 + 100); seq != want {
			t.Errorf("offset %d: sequence %d, want %d", off, seq, want)
		}
		seqs = append(seqs, seq)
		return nil
	})
	if err != nil || next != 57 {
		t.Fatalf("next %d err %v, want 57 nil", next, err)
	}
	if len(seqs) != 5 || seqs[0] != 102 || seqs[4] != 106 {
		t.Fatalf("sequences %v, want 102..106", seqs)
	}
	bad := append([]byte(nil), b1...)
	bad[len(bad)-3] ^= 1
	if _, err := eachRecord(bad, 0, func(int64, []byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "CRC") {
		t.Fatalf("corrupted batch: %v, want a CRC error", err)
	}
}

// TestLedgerCheck: the verdict counts exactly what was lost, read twice,
// read without an acknowledgement, and never sent.
func TestLedgerCheck(t *testing.T) {
	const parts = 2
	led := newLedger(2, parts)
	s := led.stream(0, 1)
	s.markSent(10)
	s.ack(0, 8) // 8 and 9 sent, outcome unknown
	value := func(prod int, part int32, seq uint64) []byte {
		v := make([]byte, stampSize)
		putStamp(v, prod, part, seq)
		return v
	}
	tests := map[string]struct {
		read                         []uint64
		lost, dups, unacked, phantom int64
	}{
		"exact":              {read: []uint64{0, 1, 2, 3, 4, 5, 6, 7}},
		"lost two":           {read: []uint64{0, 1, 2, 3, 4, 5}, lost: 2},
		"duplicate":          {read: []uint64{0, 1, 2, 3, 3, 4, 5, 6, 7}, dups: 1},
		"unacknowledged ok":  {read: []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, unacked: 2},
		"never sent":         {read: []uint64{0, 1, 2, 3, 4, 5, 6, 7, 12}, phantom: 1},
		"lost and duplicate": {read: []uint64{1, 1}, lost: 7, dups: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sc := newScope(name, []int32{1}, 2)
			for _, seq := range tc.read {
				sc.observe(parts, 1, value(0, 1, seq))
			}
			v := led.check(sc)
			if v.lost != tc.lost || sc.dups != tc.dups || v.unackedRead != tc.unacked || v.phantom != tc.phantom {
				t.Fatalf("lost %d dups %d unacked %d phantom %d, want %d %d %d %d",
					v.lost, sc.dups, v.unackedRead, v.phantom, tc.lost, tc.dups, tc.unacked, tc.phantom)
			}
		})
	}
	t.Run("misplaced", func(t *testing.T) {
		sc := newScope("m", []int32{1}, 2)
		sc.observe(parts, 1, value(0, 0, 1)) // stamped for partition 0
		sc.observe(parts, 1, value(5, 1, 1)) // no such producer
		sc.observe(parts, 1, []byte("short"))
		if sc.invalid != 3 {
			t.Fatalf("invalid %d, want 3", sc.invalid)
		}
	})
	t.Run("group members overlap", func(t *testing.T) {
		a, b := newScope("a", nil, 2), newScope("b", nil, 2)
		for seq := uint64(0); seq < 5; seq++ {
			a.observe(parts, 1, value(0, 1, seq))
		}
		for seq := uint64(4); seq < 8; seq++ {
			b.observe(parts, 1, value(0, 1, seq))
		}
		u := newScope("u", []int32{0, 1}, 2)
		u.merge(a)
		u.merge(b)
		if v := led.check(u); u.dups != 1 || v.lost != 0 || u.records != 9 {
			t.Fatalf("dups %d lost %d records %d, want 1 0 9", u.dups, v.lost, u.records)
		}
	})
}

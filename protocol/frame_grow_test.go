package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestReadFrameGrowing reads frames on both sides of EagerFrameBytes and of
// each growth stage, through readers that deliver one byte at a time, a
// few bytes at a time and everything at once, and through a bufio.Reader
// that already holds the whole frame.
func TestReadFrameGrowing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := []int{0, 1, EagerFrameBytes - 1, EagerFrameBytes, EagerFrameBytes + 1, 4*EagerFrameBytes - 1, 4 * EagerFrameBytes,
		4*EagerFrameBytes + 1, 16*EagerFrameBytes + 7, 70*EagerFrameBytes + 3}
	readers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"at once":  func(r io.Reader) io.Reader { return r },
		"bufio":    func(r io.Reader) io.Reader { return bufio.NewReaderSize(r, 32<<10) },
	}
	for _, n := range sizes {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(rng.UintN(256))
		}
		in := append(AppendFrame(nil, body), "next"...)
		for name, wrap := range readers {
			if name == "one byte" && n > 4*EagerFrameBytes+1 {
				continue // slow under -race, and the stages are covered by the smaller sizes
			}
			r := wrap(bytes.NewReader(in))
			got, err := ReadFrame(r, 100<<20)
			if err != nil || !bytes.Equal(got, body) {
				t.Fatalf("%s, %d bytes: got %d bytes, %v", name, n, len(got), err)
			}
			if cap(got) != n {
				t.Fatalf("%s, %d bytes: the frame's buffer has capacity %d, want exactly its size", name, n, cap(got))
			}
			rest, _ := io.ReadAll(r)
			if string(rest) != "next" {
				t.Fatalf("%s, %d bytes: read past the frame (rest %q)", name, n, rest)
			}
		}
	}
}

// TestReadFrameTruncatedGrowing: a large frame cut short at any stage is
// io.ErrUnexpectedEOF.
func TestReadFrameTruncatedGrowing(t *testing.T) {
	for _, have := range []int{0, 1, EagerFrameBytes, EagerFrameBytes + 1, 5 * EagerFrameBytes} {
		in := append(binary.BigEndian.AppendUint32(nil, 20*EagerFrameBytes), make([]byte, have)...)
		if _, err := ReadFrame(bytes.NewReader(in), 100<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%d of %d bytes: err %v, want io.ErrUnexpectedEOF", have, 20*EagerFrameBytes, err)
		}
	}
}

// TestReadFrameAllocatesAsBytesArrive: a peer that announces a 90 MiB
// frame (under a 100 MiB cap) and sends 200 KiB of it before going away
// makes ReadFrame allocate about what it sent, never the announced size.
func TestReadFrameAllocatesAsBytesArrive(t *testing.T) {
	const announced, sent = 90 << 20, 200 << 10
	in := append(binary.BigEndian.AppendUint32(nil, announced), make([]byte, sent)...)
	var err error
	n := allocated(func() { _, err = ReadFrame(bytes.NewReader(in), 100<<20) })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err %v, want io.ErrUnexpectedEOF", err)
	}
	if n > 4*sent+EagerFrameBytes {
		t.Fatalf("%d bytes allocated for %d bytes received of a %d-byte frame; want at most %d", n, sent, announced, 4*sent+EagerFrameBytes)
	}
	// Through ReadFrameInto with an allocator that declines (the broker's
	// for anything but pooled Produce frames), the same bound holds.
	n = allocated(func() {
		_, err = ReadFrameInto(bytes.NewReader(in), 100<<20, func(int) []byte { return nil })
	})
	if !errors.Is(err, io.ErrUnexpectedEOF) || n > 4*sent+EagerFrameBytes {
		t.Fatalf("ReadFrameInto with a declining allocator: %d bytes allocated, err %v", n, err)
	}
}

package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxRequestBytes is Kafka's socket.request.max.bytes default (100 MiB).
const DefaultMaxRequestBytes = 100 * 1024 * 1024

// ErrFrameTooLarge is returned by ReadFrame when the size prefix exceeds the
// cap. Nothing beyond the 4-byte prefix has been read or allocated.
var ErrFrameTooLarge = errors.New("frame size exceeds the limit")

// ErrNegativeLength is returned by ReadFrame for a negative size prefix.
var ErrNegativeLength = errors.New("negative frame size")

// FrameSizeError carries the offending size and the cap.
type FrameSizeError struct {
	Size  int32
	Limit int32
	Err   error // ErrFrameTooLarge or ErrNegativeLength
}

func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("%v: size %d, limit %d", e.Err, e.Size, e.Limit)
}

func (e *FrameSizeError) Unwrap() error { return e.Err }

// ReadFrame reads one size-prefixed frame from r. The size is checked
// against limit before anything is allocated, and the body buffer grows
// as its bytes arrive (see ReadFrameInto). A clean EOF before the first
// byte of the prefix returns io.EOF; a frame cut short returns
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, limit int32) ([]byte, error) {
	return ReadFrameInto(r, limit, nil)
}

// EagerFrameBytes is the largest body ReadFrame allocates in full before
// its bytes arrive. A larger body is read into a buffer that starts at
// this size and grows fourfold as it fills (capped at the frame size), so
// a peer that announces a large frame and trickles its bytes (a slow
// loris) costs at most about four times what it sent, never the announced
// size. A body the reader already buffers in full (bufio.Reader) is
// allocated at once.
const EagerFrameBytes = 64 << 10

// ReadFrameInto is ReadFrame reading the body into alloc(n), called once
// the size n has passed the limit check; alloc returns a buffer of length
// n (a reused one, for instance), or nil to let ReadFrameInto allocate as
// ReadFrame does. A nil alloc allocates.
func ReadFrameInto(r io.Reader, limit int32, alloc func(n int) []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(hdr[:]))
	if n < 0 {
		return nil, &FrameSizeError{Size: n, Limit: limit, Err: ErrNegativeLength}
	}
	if n > limit {
		return nil, &FrameSizeError{Size: n, Limit: limit, Err: ErrFrameTooLarge}
	}
	var buf []byte
	if alloc != nil {
		buf = alloc(int(n))
	}
	if buf == nil {
		return readGrowing(r, int(n))
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	return buf, nil
}

// readGrowing reads an n-byte body, allocating it in full only when it is
// small or already buffered, else growing the buffer as bytes arrive: the
// intermediate buffers come from and return to stagePools, and only the
// final one, of exactly n bytes, is allocated, so a large frame that
// arrives at once costs one allocation and a copy of at most a third of
// its bytes.
func readGrowing(r io.Reader, n int) ([]byte, error) {
	if n <= EagerFrameBytes {
		return readExact(r, n)
	}
	if b, ok := r.(interface{ Buffered() int }); ok && b.Buffered() >= n {
		return readExact(r, n)
	}
	bp := stageBuf(EagerFrameBytes)
	buf := *bp
	filled := 0
	for {
		k, err := io.ReadFull(r, buf[filled:])
		filled += k
		if err != nil {
			putStage(bp)
			return nil, unexpectedEOF(err)
		}
		if filled == n {
			return buf, nil
		}
		next := min(n, 4*len(buf))
		var grown []byte
		var gp *[]byte
		if next == n {
			grown = make([]byte, n) // the frame's own buffer
		} else {
			gp = stageBuf(next)
			grown = *gp
		}
		copy(grown, buf[:filled])
		putStage(bp)
		bp, buf = gp, grown
	}
}

func readExact(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	return buf, nil
}

// stagePools pool the intermediate buffers of readGrowing: EagerFrameBytes
// times 1, 4, 16 and 64 (64 KiB to 4 MiB). Larger ones are not kept.
var stagePools [4]sync.Pool // of *[]byte

func stageIndex(size int) int {
	for i, s := 0, EagerFrameBytes; i < len(stagePools); i, s = i+1, s*4 {
		if size == s {
			return i
		}
	}
	return -1
}

// stageBuf returns an intermediate buffer of length size.
func stageBuf(size int) *[]byte {
	if i := stageIndex(size); i >= 0 {
		if bp, _ := stagePools[i].Get().(*[]byte); bp != nil {
			return bp
		}
	}
	b := make([]byte, size)
	return &b
}

// putStage returns an intermediate buffer to its pool (nil: none).
func putStage(bp *[]byte) {
	if bp == nil {
		return
	}
	if i := stageIndex(len(*bp)); i >= 0 {
		stagePools[i].Put(bp)
	}
}

// unexpectedEOF maps an EOF inside a frame to io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends body to dst with its 4-byte size prefix.
func AppendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

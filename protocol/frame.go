package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
// against limit before the body is allocated. A clean EOF before the first
// byte of the prefix returns io.EOF; a frame cut short returns
// io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, limit int32) ([]byte, error) {
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
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// AppendFrame appends body to dst with its 4-byte size prefix.
func AppendFrame(dst, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body)))
	return append(dst, body...)
}

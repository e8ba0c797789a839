package diskcache

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// The encoding of an entry, before any sealing (all integers big-endian):
//
//	magic      [4]byte "s1dc"
//	version    uint8   formatVersion
//	written    int64   Unix nanoseconds, by the writer's clock
//	ttl        int64   nanoseconds; the entry is served while
//	                   written - maxSkew <= now < written + ttl
//	genLen     uint32
//	nameLen    uint32
//	variantLen uint32
//	dataLen    uint32
//	gen, name, variant, data
//	crc        uint32  CRC-32C (Castagnoli) of everything before it
//
// gen is the Stamp.Gen that the writer read before it asked the store; the
// entry is returned only while that is still the name's generation.
const (
	magic         = "s1dc"
	formatVersion = 2
	headerSize    = 4 + 1 + 8 + 8 + 4 + 4 + 4 + 4
	trailerSize   = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt is the error of every encoding that does not decode.
var errCorrupt = errors.New("diskcache: damaged or foreign entry")

// entry is a decoded entry; its slices share the decoded buffer.
type entry struct {
	written, ttl             int64
	gen, name, variant, data []byte
}

// encodeEntry returns the encoding of an entry. The caller keeps sizes below
// maxFileSize, so the lengths fit in uint32.
func encodeEntry(written, ttl int64, gen, name, variant string, data []byte) []byte {
	n := headerSize + len(gen) + len(name) + len(variant) + len(data) + trailerSize
	b := make([]byte, headerSize, n)
	copy(b, magic)
	b[4] = formatVersion
	binary.BigEndian.PutUint64(b[5:], uint64(written))
	binary.BigEndian.PutUint64(b[13:], uint64(ttl))
	binary.BigEndian.PutUint32(b[21:], uint32(len(gen)))
	binary.BigEndian.PutUint32(b[25:], uint32(len(name)))
	binary.BigEndian.PutUint32(b[29:], uint32(len(variant)))
	binary.BigEndian.PutUint32(b[33:], uint32(len(data)))
	b = append(b, gen...)
	b = append(b, name...)
	b = append(b, variant...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeEntry decodes what encodeEntry returned. Anything else, including a
// truncated, extended or altered encoding, is errCorrupt.
func decodeEntry(b []byte) (entry, error) {
	if len(b) < headerSize+trailerSize || string(b[:4]) != magic || b[4] != formatVersion {
		return entry{}, errCorrupt
	}
	gl := uint64(binary.BigEndian.Uint32(b[21:]))
	nl := uint64(binary.BigEndian.Uint32(b[25:]))
	vl := uint64(binary.BigEndian.Uint32(b[29:]))
	dl := uint64(binary.BigEndian.Uint32(b[33:]))
	if uint64(headerSize)+gl+nl+vl+dl+trailerSize != uint64(len(b)) {
		return entry{}, errCorrupt
	}
	body := len(b) - trailerSize
	if crc32.Checksum(b[:body], castagnoli) != binary.BigEndian.Uint32(b[body:]) {
		return entry{}, errCorrupt
	}
	e := entry{
		written: int64(binary.BigEndian.Uint64(b[5:])),
		ttl:     int64(binary.BigEndian.Uint64(b[13:])),
	}
	off := uint64(headerSize)
	e.gen = b[off : off+gl : off+gl]
	off += gl
	e.name = b[off : off+nl : off+nl]
	off += nl
	e.variant = b[off : off+vl : off+vl]
	off += vl
	e.data = b[off : off+dl : off+dl]
	return e, nil
}

// fresh reports whether an entry written at written (Unix nanoseconds) for
// ttl may be served at now: not before written - maxSkew (an entry from the
// future means the clock stepped back, and its expiry cannot be trusted),
// and not from written + ttl on, whatever the clock did in between. The
// arithmetic is exact for every int64 input.
func fresh(written, ttl, now int64) bool {
	if ttl <= 0 {
		return false
	}
	if now < written {
		return uint64(written)-uint64(now) <= uint64(maxSkew)
	}
	return uint64(now)-uint64(written) < uint64(ttl)
}

package password

import (
	"encoding/binary"
	"math/bits"

	"golang.org/x/crypto/blake2b"
)

// This file is a plain implementation of Argon2 version 19 (RFC 9106).
// golang.org/x/crypto/argon2 exports only Argon2i and Argon2id, but Logto
// imports can carry Argon2d digests, so Argon2d is computed here. The code
// supports all three modes because checking its Argon2i and Argon2id output
// against x/crypto is the best evidence that the shared parts are right;
// Verify still uses x/crypto, which is faster, for those two.

// argon2Mode is the "y" input of RFC 9106: the Argon2 variant.
type argon2Mode uint32

const (
	modeArgon2d  argon2Mode = 0
	modeArgon2i  argon2Mode = 1
	modeArgon2id argon2Mode = 2
)

const (
	argon2Version = 0x13
	syncPoints    = 4   // slices per lane
	blockWords    = 128 // a block is 1 KiB
)

type block [blockWords]uint64

// argon2Key derives keyLen bytes from password with the given variant. The
// secret and associated data are optional (nil) inputs of RFC 9106; they are
// here for the RFC's test vectors. memory is in KiB, lanes is the
// parallelism p. The caller validates the parameters.
func argon2Key(mode argon2Mode, password, salt, secret, data []byte, time, memory, lanes, keyLen uint32) []byte {
	h0 := initialHash(mode, password, salt, secret, data, time, memory, lanes, keyLen)

	// Memory is rounded down to a whole number of segments, and to at least
	// two blocks per segment, as the reference implementation does.
	if memory < 2*syncPoints*lanes {
		memory = 2 * syncPoints * lanes
	}
	segmentLen := memory / (syncPoints * lanes)
	a := &argon2State{
		mode:       mode,
		time:       time,
		lanes:      lanes,
		segmentLen: segmentLen,
		laneLen:    segmentLen * syncPoints,
		blocks:     make([]block, segmentLen*syncPoints*lanes),
	}
	a.initLanes(h0)
	for pass := uint32(0); pass < time; pass++ {
		for slice := uint32(0); slice < syncPoints; slice++ {
			// Segments of one slice are independent and could run in
			// parallel; serially is simpler and fast enough for imports.
			for lane := uint32(0); lane < lanes; lane++ {
				a.fillSegment(pass, slice, lane)
			}
		}
	}
	return a.finalize(keyLen)
}

type argon2State struct {
	mode       argon2Mode
	time       uint32
	lanes      uint32
	segmentLen uint32
	laneLen    uint32
	blocks     []block
}

// initialHash is H0 of RFC 9106 §3.2.
func initialHash(mode argon2Mode, password, salt, secret, data []byte, time, memory, lanes, keyLen uint32) []byte {
	h, _ := blake2b.New512(nil)
	var buf [4]byte
	writeUint32 := func(v uint32) {
		binary.LittleEndian.PutUint32(buf[:], v)
		h.Write(buf[:])
	}
	writeBytes := func(b []byte) {
		writeUint32(uint32(len(b)))
		h.Write(b)
	}
	writeUint32(lanes)
	writeUint32(keyLen)
	writeUint32(memory)
	writeUint32(time)
	writeUint32(argon2Version)
	writeUint32(uint32(mode))
	writeBytes(password)
	writeBytes(salt)
	writeBytes(secret)
	writeBytes(data)
	return h.Sum(nil)
}

// hashLong is the variable-length hash H' of RFC 9106 §3.3: it fills out
// with the hash of the concatenated inputs.
func hashLong(out []byte, inputs ...[]byte) {
	var prefix [4]byte
	binary.LittleEndian.PutUint32(prefix[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h, _ := blake2b.New(len(out), nil)
		h.Write(prefix[:])
		for _, in := range inputs {
			h.Write(in)
		}
		h.Sum(out[:0])
		return
	}
	h, _ := blake2b.New512(nil)
	h.Write(prefix[:])
	for _, in := range inputs {
		h.Write(in)
	}
	v := h.Sum(nil)
	copy(out, v[:32])
	out = out[32:]
	for len(out) > blake2b.Size {
		next := blake2b.Sum512(v)
		v = next[:]
		copy(out, v[:32])
		out = out[32:]
	}
	last, _ := blake2b.New(len(out), nil)
	last.Write(v)
	last.Sum(out[:0])
}

// initLanes computes the first two blocks of every lane from H0.
func (a *argon2State) initLanes(h0 []byte) {
	var buf [1024]byte
	var suffix [8]byte
	for lane := uint32(0); lane < a.lanes; lane++ {
		for col := uint32(0); col < 2; col++ {
			binary.LittleEndian.PutUint32(suffix[0:4], col)
			binary.LittleEndian.PutUint32(suffix[4:8], lane)
			hashLong(buf[:], h0, suffix[:])
			b := &a.blocks[lane*a.laneLen+col]
			for i := range b {
				b[i] = binary.LittleEndian.Uint64(buf[8*i:])
			}
		}
	}
}

// fillSegment computes one segment: the blocks of slice in lane.
func (a *argon2State) fillSegment(pass, slice, lane uint32) {
	// Argon2i, and Argon2id in the first half of its first pass, choose
	// reference blocks from a counter-driven stream instead of block
	// contents, so that memory access does not depend on the password.
	dataIndependent := a.mode == modeArgon2i || (a.mode == modeArgon2id && pass == 0 && slice < syncPoints/2)
	var addresses, input, zero block
	if dataIndependent {
		input[0] = uint64(pass)
		input[1] = uint64(lane)
		input[2] = uint64(slice)
		input[3] = uint64(len(a.blocks))
		input[4] = uint64(a.time)
		input[5] = uint64(a.mode)
	}
	nextAddresses := func() {
		input[6]++
		compress(&addresses, &zero, &input, false)
		compress(&addresses, &zero, &addresses, false)
	}

	start := uint32(0)
	if pass == 0 && slice == 0 {
		start = 2 // the first two blocks come from initLanes
		if dataIndependent {
			nextAddresses()
		}
	}
	laneStart := lane * a.laneLen
	for index := start; index < a.segmentLen; index++ {
		offset := laneStart + slice*a.segmentLen + index
		prev := offset - 1
		if slice == 0 && index == 0 {
			prev = laneStart + a.laneLen - 1 // lanes wrap around after the first pass
		}

		var pseudoRand uint64
		if dataIndependent {
			if index%blockWords == 0 {
				nextAddresses()
			}
			pseudoRand = addresses[index%blockWords]
		} else {
			pseudoRand = a.blocks[prev][0]
		}

		refLane := uint32(pseudoRand>>32) % a.lanes
		if pass == 0 && slice == 0 {
			refLane = lane // no other lane has blocks to offer yet
		}
		refIndex := a.referenceIndex(uint32(pseudoRand), pass, slice, index, refLane == lane)
		ref := &a.blocks[refLane*a.laneLen+refIndex]
		// From the second pass on, version 19 XORs the new block into the
		// old one instead of overwriting it.
		compress(&a.blocks[offset], &a.blocks[prev], ref, pass > 0)
	}
}

// referenceIndex maps the low 32 bits of the pseudo-random value to a block
// of the reference lane (RFC 9106 §3.4.2): only blocks that are already
// finished and not the previous one are allowed, with a bias towards recent
// ones.
func (a *argon2State) referenceIndex(rand32, pass, slice, index uint32, sameLane bool) uint32 {
	var area uint32 // how many blocks may be referenced
	switch {
	case pass == 0 && slice == 0:
		area = index - 1
	case pass == 0 && sameLane:
		area = slice*a.segmentLen + index - 1
	case pass == 0:
		area = slice * a.segmentLen
		if index == 0 {
			area--
		}
	case sameLane:
		area = a.laneLen - a.segmentLen + index - 1
	default:
		area = a.laneLen - a.segmentLen
		if index == 0 {
			area--
		}
	}
	x := uint64(rand32) * uint64(rand32) >> 32
	relative := uint64(area) - 1 - (uint64(area) * x >> 32)
	var start uint64
	if pass > 0 && slice != syncPoints-1 {
		start = uint64(slice+1) * uint64(a.segmentLen)
	}
	return uint32((start + relative) % uint64(a.laneLen))
}

// finalize XORs the last block of every lane and hashes it to the tag.
func (a *argon2State) finalize(keyLen uint32) []byte {
	final := a.blocks[a.laneLen-1]
	for lane := uint32(1); lane < a.lanes; lane++ {
		last := &a.blocks[lane*a.laneLen+a.laneLen-1]
		for i := range final {
			final[i] ^= last[i]
		}
	}
	var buf [1024]byte
	for i, w := range final {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}
	out := make([]byte, keyLen)
	hashLong(out, buf[:])
	return out
}

// compress is the compression function G of RFC 9106 §3.5: out = P(x^y)^x^y
// with P applied to the rows and then the columns of the 8×8 matrix of
// 16-byte registers. With xor it XORs the result into out instead.
func compress(out, x, y *block, xor bool) {
	var r, z block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	z = r
	for row := 0; row < 8; row++ {
		i := 16 * row
		permute(&z[i], &z[i+1], &z[i+2], &z[i+3], &z[i+4], &z[i+5], &z[i+6], &z[i+7],
			&z[i+8], &z[i+9], &z[i+10], &z[i+11], &z[i+12], &z[i+13], &z[i+14], &z[i+15])
	}
	for col := 0; col < 8; col++ {
		i := 2 * col
		permute(&z[i], &z[i+1], &z[i+16], &z[i+17], &z[i+32], &z[i+33], &z[i+48], &z[i+49],
			&z[i+64], &z[i+65], &z[i+80], &z[i+81], &z[i+96], &z[i+97], &z[i+112], &z[i+113])
	}
	if xor {
		for i := range out {
			out[i] ^= z[i] ^ r[i]
		}
	} else {
		for i := range out {
			out[i] = z[i] ^ r[i]
		}
	}
}

// permute is the permutation P of RFC 9106 §3.6 on sixteen 64-bit words.
func permute(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 *uint64) {
	mix(v0, v4, v8, v12)
	mix(v1, v5, v9, v13)
	mix(v2, v6, v10, v14)
	mix(v3, v7, v11, v15)
	mix(v0, v5, v10, v15)
	mix(v1, v6, v11, v12)
	mix(v2, v7, v8, v13)
	mix(v3, v4, v9, v14)
}

// mix is GB of RFC 9106 §3.6: BLAKE2b's G with the additions replaced by
// the multiplication-hardened fBlaMka.
func mix(a, b, c, d *uint64) {
	*a = fBlaMka(*a, *b)
	*d = bits.RotateLeft64(*d^*a, -32)
	*c = fBlaMka(*c, *d)
	*b = bits.RotateLeft64(*b^*c, -24)
	*a = fBlaMka(*a, *b)
	*d = bits.RotateLeft64(*d^*a, -16)
	*c = fBlaMka(*c, *d)
	*b = bits.RotateLeft64(*b^*c, -63)
}

func fBlaMka(x, y uint64) uint64 {
	return x + y + 2*uint64(uint32(x))*uint64(uint32(y))
}

package sheet

import (
	"encoding/binary"
	"errors"
)

// checkCFB validates the allocation tables of a Compound File (the container
// of xls files) before the xls reader follows them: every sector chain must
// end, none may loop or point outside the file. A damaged or hostile file
// with a looping chain would otherwise keep the reader busy forever.
func checkCFB(data []byte) error {
	bad := errors.New("damaged compound file")
	if len(data) < 512 {
		return bad
	}
	le := binary.LittleEndian
	shift := le.Uint16(data[0x1E:])
	if shift != 9 && shift != 12 {
		return bad
	}
	size := 1 << shift
	sectors := (len(data) - size) / size // sectors in the file after the header
	if sectors <= 0 {
		return bad
	}
	sector := func(n uint32) ([]byte, bool) {
		off := (int(n) + 1) * size
		if n >= uint32(sectors) || off+size > len(data) {
			return nil, false
		}
		return data[off : off+size], true
	}
	const (
		free       = 0xFFFFFFFF
		endOfChain = 0xFFFFFFFE
		special    = 0xFFFFFFFA // FATSECT, DIFSECT and the reserved values above
	)
	numFAT := le.Uint32(data[0x2C:])
	if numFAT == 0 || int(numFAT) > sectors {
		return bad
	}
	// The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
	var fatSectors []uint32
	for i := 0; i < 109 && uint32(len(fatSectors)) < numFAT; i++ {
		fatSectors = append(fatSectors, le.Uint32(data[0x4C+4*i:]))
	}
	difat, numDIFAT := le.Uint32(data[0x44:]), le.Uint32(data[0x48:])
	for i := uint32(0); i < numDIFAT && uint32(len(fatSectors)) < numFAT; i++ {
		s, ok := sector(difat)
		if !ok {
			return bad
		}
		for j := 0; j < size/4-1 && uint32(len(fatSectors)) < numFAT; j++ {
			fatSectors = append(fatSectors, le.Uint32(s[4*j:]))
		}
		difat = le.Uint32(s[size-4:])
	}
	if uint32(len(fatSectors)) < numFAT {
		return bad
	}
	var fat []uint32
	for _, fs := range fatSectors {
		s, ok := sector(fs)
		if !ok {
			return bad
		}
		for j := 0; j < size/4; j++ {
			fat = append(fat, le.Uint32(s[4*j:]))
		}
	}
	if err := acyclic(fat, special); err != nil {
		return bad
	}
	// The mini FAT, read through the FAT, must not loop either.
	miniStart, numMini := le.Uint32(data[0x3C:]), le.Uint32(data[0x40:])
	var mini []uint32
	for cur, n := miniStart, uint32(0); cur < special && n < numMini; n++ {
		s, ok := sector(cur)
		if !ok || int(cur) >= len(fat) {
			return bad
		}
		for j := 0; j < size/4; j++ {
			mini = append(mini, le.Uint32(s[4*j:]))
		}
		cur = fat[cur]
	}
	if err := acyclic(mini, special); err != nil {
		return bad
	}
	// No directory entry may claim a stream larger than the file (the reader
	// allocates what the entry claims).
	dirStart := le.Uint32(data[0x30:])
	for cur, n := dirStart, 0; cur < special; n++ {
		s, ok := sector(cur)
		if !ok || int(cur) >= len(fat) || n > sectors {
			return bad
		}
		for off := 0; off+128 <= size; off += 128 {
			e := s[off : off+128]
			typ := e[66]
			if typ != 2 && typ != 5 {
				continue
			}
			streamSize := uint64(le.Uint32(e[120:]))
			if shift == 12 {
				streamSize = le.Uint64(e[120:])
			}
			if streamSize > uint64(len(data)) {
				return bad
			}
		}
		cur = fat[cur]
	}
	_ = free
	_ = endOfChain
	return nil
}

// acyclic reports an error when following next from any entry loops or
// leaves the table before reaching a terminal value (>= special).
func acyclic(next []uint32, special uint32) error {
	state := make([]uint8, len(next)) // 0 new, 1 on the current path, 2 known to end
	var path []int
	for i := range next {
		if state[i] != 0 {
			continue
		}
		path = path[:0]
		cur := uint32(i)
		for {
			if cur >= special {
				break
			}
			if int(cur) >= len(next) {
				return errors.New("chain leaves the table")
			}
			if state[cur] == 2 {
				break
			}
			if state[cur] == 1 {
				return errors.New("chain loops")
			}
			state[cur] = 1
			path = append(path, int(cur))
			cur = next[cur]
		}
		for _, p := range path {
			state[p] = 2
		}
	}
	return nil
}

/// A fast 64-bit hash of a dictionary key's bytes, for in-memory tables only (never written to
/// disk, never decides the output: every table confirms a hash match by comparing the bytes).
enum TermHash {
    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var h = seed ^ 0x9E37_79B9_7F4A_7C15 ^ (UInt64(bytes.count) &* 0xFF51_AFD7_ED55_8CCD)
        let count = bytes.count
        var i = 0
        // Safe: every load is inside `bytes` (i + 8 <= count).
        while i + 8 <= count {
            h = mix(h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        if i < count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            h = mix(h ^ tail)
        }
        // murmur3 fmix64
        h ^= h >> 33; h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33; h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        let m = x &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }
}

extension String {
    /// The hash of this string's UTF-8 bytes (see `TermHash`).
    func termHash(seed: UInt64) -> UInt64 {
        var copy = self
        return copy.withUTF8 { TermHash.hash(UnsafeRawBufferPointer($0), seed: seed) }
    }
}

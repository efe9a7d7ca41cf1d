/// Bit packing of one full 128-integer block in the 4-lane vertical layout (SIMD-BP128).
///
///     PackedBlock128(w) --> Word^(4 * w), 32-bit little-endian words, 16 * w bytes
///
/// Value i belongs to lane i % 4 and is that lane's value number j = i / 4. Each lane packs its
/// 32 values at w bits into w words, low bits first; word k of lane l is stored at position
/// 4k + l, so one 16-byte load fetches word k of all four lanes and one SIMD4<UInt32> shift-and-
/// mask yields values 4j ..< 4j + 4 — in order. Layout of the first words for w = 3:
///
///     word 0 (lanes 0..3): bits 0-2 = v[0..3], 3-5 = v[4..7], ..., 30-31 = low 2 bits of v[40..43]
///     word 1 (lanes 0..3): bit 0 = high bit of v[40..43], bits 1-3 = v[44..47], ...
///
/// Width 0 = all zero, no bytes. Decoding reads exactly 16 * w bytes (no slack needed).
public enum SIMDBitPacking {
    public static let blockLength = 128
    public static let lanes = 4

    /// Bytes of one packed block at `width`.
    @inline(__always)
    public static func byteCount(width: Int) -> Int { 16 * width }

    /// Appends the 128 `values` packed at `width` bits.
    public static func pack(_ values: UnsafeBufferPointer<UInt32>, width: Int, into writer: inout ByteWriter) {
        precondition(values.count == blockLength)
        guard width > 0 else { return }
        var words = [UInt32](repeating: 0, count: 4 * width)
        for lane in 0..<lanes {
            var bit = 0
            for j in 0..<32 {
                let value = UInt64(values[4 * j + lane])
                let word = bit >> 5, shift = bit & 31
                words[4 * word + lane] |= UInt32(truncatingIfNeeded: value << UInt64(shift))
                if shift + width > 32 {
                    words[4 * (word + 1) + lane] |= UInt32(truncatingIfNeeded: value >> UInt64(32 - shift))
                }
                bit += width
            }
        }
        for word in words { writer.appendUInt32(word) }
    }

    /// Decodes one block of 128 values packed at `width` from `source` into `destination`.
    /// Reads exactly `byteCount(width:)` bytes; `source` needs no alignment.
    @inlinable
    public static func unpack(_ source: UnsafeRawPointer, width: Int, into destination: UnsafeMutablePointer<UInt32>) {
        switch width {
        case 0: destination.update(repeating: 0, count: blockLength)
        case 1: unpack(source, 1, destination)
        case 2: unpack(source, 2, destination)
        case 3: unpack(source, 3, destination)
        case 4: unpack(source, 4, destination)
        case 5: unpack(source, 5, destination)
        case 6: unpack(source, 6, destination)
        case 7: unpack(source, 7, destination)
        case 8: unpack(source, 8, destination)
        case 9: unpack(source, 9, destination)
        case 10: unpack(source, 10, destination)
        case 11: unpack(source, 11, destination)
        case 12: unpack(source, 12, destination)
        case 13: unpack(source, 13, destination)
        case 14: unpack(source, 14, destination)
        case 15: unpack(source, 15, destination)
        case 16: unpack(source, 16, destination)
        case 17: unpack(source, 17, destination)
        case 18: unpack(source, 18, destination)
        case 19: unpack(source, 19, destination)
        case 20: unpack(source, 20, destination)
        case 21: unpack(source, 21, destination)
        case 22: unpack(source, 22, destination)
        case 23: unpack(source, 23, destination)
        case 24: unpack(source, 24, destination)
        case 25: unpack(source, 25, destination)
        case 26: unpack(source, 26, destination)
        case 27: unpack(source, 27, destination)
        case 28: unpack(source, 28, destination)
        case 29: unpack(source, 29, destination)
        case 30: unpack(source, 30, destination)
        case 31: unpack(source, 31, destination)
        default: unpack(source, 32, destination)
        }
    }

    /// The kernel, specialised per width by the switch above (the constant `width` lets the
    /// compiler unroll the 32 steps and drop the straddle test where it cannot happen).
    @inlinable @inline(__always)
    static func unpack(_ source: UnsafeRawPointer, _ width: Int, _ destination: UnsafeMutablePointer<UInt32>) {
        let mask = SIMD4<UInt32>(repeating: width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) &- 1)
        let output = UnsafeMutableRawPointer(destination)
        var bit = 0
        for j in 0..<32 {
            let word = bit &>> 5, shift = bit & 31
            // Safe: word < width, so the 16 bytes at 16 * word are inside the packed block.
            var value = source.loadUnaligned(fromByteOffset: 16 &* word, as: SIMD4<UInt32>.self) &>> UInt32(shift)
            if shift &+ width > 32 {
                let next = source.loadUnaligned(fromByteOffset: 16 &* (word &+ 1), as: SIMD4<UInt32>.self)
                value |= next &<< UInt32(32 &- shift)
            }
            output.storeBytes(of: value & mask, toByteOffset: 16 &* j, as: SIMD4<UInt32>.self)
            bit &+= width
        }
    }
}

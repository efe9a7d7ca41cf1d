/// Bit packing of small unsigned integers at a fixed width per block.
///
///     PackedInts(n, w) --> ceil(n * w / 8) bytes; value i occupies bits [i*w, (i+1)*w) of the
///                          little-endian bit stream (bit 0 = lowest bit of byte 0)
///
///       byte 0          byte 1
///       7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0      w = 3:  v0 = bits 0-2, v1 = bits 3-5,
///       v2v1 v1 v1 v0 v0 v0 . . .             v2 = bits 6-8 (straddles bytes 0 and 1)
///
/// Width 0 means every value is zero and takes no bytes. Widths go up to 32.
/// Decoding reads 8 bytes at a time with unaligned loads, so the caller must guarantee 8
/// readable bytes past the packed area (every index file ends with a 16-byte footer).
public enum BitPacking {
    /// The largest width (values are `UInt32`).
    public static let maxWidth = 32

    /// Bits needed for `value` (0 for 0).
    @inline(__always)
    public static func width(of value: UInt32) -> Int { 32 - value.leadingZeroBitCount }

    /// Bytes taken by `count` values at `width` bits.
    @inline(__always)
    public static func byteCount(count: Int, width: Int) -> Int { (count * width + 7) >> 3 }

    /// Appends `values` packed at `width` bits (each value must fit).
    public static func pack(_ values: UnsafeBufferPointer<UInt32>, width: Int, into writer: inout ByteWriter) {
        guard width > 0 else { return }
        var accumulator: UInt64 = 0
        var bitsHeld = 0
        for value in values {
            accumulator |= UInt64(value) << UInt64(bitsHeld)
            bitsHeld += width
            while bitsHeld >= 8 {
                writer.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bitsHeld -= 8
            }
        }
        if bitsHeld > 0 { writer.append(UInt8(truncatingIfNeeded: accumulator)) }
    }

    /// Value `index` of a packed run, without decoding the others.
    ///
    /// - Precondition (caller's): as for `unpack`, with `index < count`.
    @inline(__always)
    public static func value(at index: Int, in source: UnsafeRawPointer, width: Int) -> UInt32 {
        if width == 0 { return 0 }
        let bit = index &* width
        // Safe: bit >> 3 < byteCount, and 8 bytes past the packed area are readable.
        let word = loadLE64(source, bit &>> 3)
        return UInt32(truncatingIfNeeded: (word &>> UInt64(bit & 7)) & ((1 << UInt64(width)) &- 1))
    }

    /// Decodes `count` values of `width` bits from `source` into `destination`.
    ///
    /// - Precondition (caller's): `source` has `byteCount(count:width:) + 8` readable bytes.
    @inline(__always)
    public static func unpack(_ source: UnsafeRawPointer, count: Int, width: Int,
                              into destination: UnsafeMutablePointer<UInt32>) {
        if width == 0 {
            destination.update(repeating: 0, count: count)
            return
        }
        let mask: UInt64 = (1 << UInt64(width)) &- 1
        var bit = 0
        for i in 0..<count {
            // Safe: bit >> 3 < byteCount, and 8 bytes past the packed area are readable.
            let word = loadLE64(source, bit &>> 3)
            destination[i] = UInt32(truncatingIfNeeded: (word &>> UInt64(bit & 7)) & mask)
            bit &+= width
        }
    }
}

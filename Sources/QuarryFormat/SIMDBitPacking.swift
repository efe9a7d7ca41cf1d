import CQuarrySIMD

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
        guard width > 0 else { return destination.update(repeating: 0, count: blockLength) }
        if useCKernels {
            // Safe: 1 <= width <= 32 (callers reject wider), 16 * width bytes readable.
            return quarry_unpack128(source, UInt32(width), destination)
        }
        unpackInSwift(source, width: width, into: destination)
    }

    /// Decodes one block and adds `addend` to every value (tfs are stored minus one).
    @inlinable
    public static func unpack(_ source: UnsafeRawPointer, width: Int, adding addend: UInt32,
                              into destination: UnsafeMutablePointer<UInt32>) {
        guard width > 0 else { return destination.update(repeating: addend, count: blockLength) }
        if useCKernels {
            // Safe: 1 <= width <= 32 (callers reject wider), 16 * width bytes readable.
            return quarry_unpack128_plus(source, UInt32(width), addend, destination)
        }
        unpackInSwift(source, width: width, into: destination)
        for i in 0..<blockLength { destination[i] &+= addend }
    }

    /// The Swift kernel: the fallback where the C kernels are absent, and the reference the
    /// tests compare them with.
    @inlinable
    public static func unpackInSwift(_ source: UnsafeRawPointer, width: Int, into destination: UnsafeMutablePointer<UInt32>) {
        guard width > 0 else { return destination.update(repeating: 0, count: blockLength) }
        withConstant(width) { unpack(source, $0, destination, runningSumFrom: nil) }
    }

    /// Whether the unrolled C kernels (CQuarrySIMD, SSE2: every x86-64 CPU) are in this build;
    /// a compile-time constant, so the test costs nothing.
    @inlinable static var useCKernels: Bool {
        #if arch(x86_64)
        return true
        #else
        return false
        #endif
    }

    /// Decodes one block of 128 gaps packed at `width` and writes their running sums starting
    /// from `base` (destination[i] = base + gap[0] + … + gap[i]): doc ids from doc-id gaps, the
    /// prefix sum done four lanes at a time while the values are still in registers.
    @inlinable
    public static func unpackRunningSums(_ source: UnsafeRawPointer, width: Int, base: UInt32,
                                         into destination: UnsafeMutablePointer<UInt32>) {
        guard width > 0 else { return destination.update(repeating: base, count: blockLength) }
        if useCKernels {
            // Safe: 1 <= width <= 32 (callers reject wider), 16 * width bytes readable.
            return quarry_unpack128_running_sums(source, UInt32(width), base, destination)
        }
        unpackRunningSumsInSwift(source, width: width, base: base, into: destination)
    }

    /// The Swift kernel of `unpackRunningSums` (fallback and test reference).
    @inlinable
    public static func unpackRunningSumsInSwift(_ source: UnsafeRawPointer, width: Int, base: UInt32,
                                                into destination: UnsafeMutablePointer<UInt32>) {
        guard width > 0 else { return destination.update(repeating: base, count: blockLength) }
        withConstant(width) { unpack(source, $0, destination, runningSumFrom: base) }
    }

    /// Value `index` (0..<128) of a packed block, without decoding the others: lane index % 4,
    /// that lane's value index / 4 at bit (index / 4) · width of the lane's word stream.
    /// Reads only inside the block's `byteCount(width:)` bytes.
    @inlinable @inline(__always)
    public static func value(at index: Int, in source: UnsafeRawPointer, width: Int) -> UInt32 {
        if width == 0 { return 0 }
        let lane = index & 3
        let bit = (index &>> 2) &* width
        let word = bit &>> 5, shift = UInt32(bit & 31)
        // Safe: word < width (bit < 32 · width), so the load is inside the block.
        var value = source.loadUnaligned(fromByteOffset: 16 &* word &+ 4 &* lane, as: UInt32.self) &>> shift
        if Int(shift) &+ width > 32 {
            // Safe: the value straddles into word + 1, which exists (its bits are < 32 · width).
            value |= source.loadUnaligned(fromByteOffset: 16 &* (word &+ 1) &+ 4 &* lane, as: UInt32.self) &<< (32 &- shift)
        }
        return width == 32 ? value : value & ((UInt32(1) &<< UInt32(width)) &- 1)
    }

    /// Calls `kernel` with `width` (1...32) as a literal, so that each inlined kernel is
    /// specialised for its width.
    @inlinable @inline(__always)
    static func withConstant(_ width: Int, _ kernel: (Int) -> Void) {
        switch width {
        case 1: kernel(1)
        case 2: kernel(2)
        case 3: kernel(3)
        case 4: kernel(4)
        case 5: kernel(5)
        case 6: kernel(6)
        case 7: kernel(7)
        case 8: kernel(8)
        case 9: kernel(9)
        case 10: kernel(10)
        case 11: kernel(11)
        case 12: kernel(12)
        case 13: kernel(13)
        case 14: kernel(14)
        case 15: kernel(15)
        case 16: kernel(16)
        case 17: kernel(17)
        case 18: kernel(18)
        case 19: kernel(19)
        case 20: kernel(20)
        case 21: kernel(21)
        case 22: kernel(22)
        case 23: kernel(23)
        case 24: kernel(24)
        case 25: kernel(25)
        case 26: kernel(26)
        case 27: kernel(27)
        case 28: kernel(28)
        case 29: kernel(29)
        case 30: kernel(30)
        case 31: kernel(31)
        default: kernel(32)
        }
    }

    /// The kernel, specialised per width by `withConstant` (the constant `width` lets the
    /// compiler unroll the 32 steps and drop the straddle test where it cannot happen). With
    /// `runningSumFrom`, each vector of four values is turned into running sums in registers:
    /// two shifted adds within the vector, plus the previous vector's last sum.
    @inlinable @inline(__always)
    static func unpack(_ source: UnsafeRawPointer, _ width: Int, _ destination: UnsafeMutablePointer<UInt32>,
                       runningSumFrom base: UInt32?) {
        let mask = SIMD4<UInt32>(repeating: width == 32 ? UInt32.max : (UInt32(1) << UInt32(width)) &- 1)
        let output = UnsafeMutableRawPointer(destination)
        var carry = SIMD4<UInt32>(repeating: base ?? 0)
        var bit = 0
        for j in 0..<32 {
            let word = bit &>> 5, shift = bit & 31
            // Safe: word < width, so the 16 bytes at 16 * word are inside the packed block.
            var value = source.loadUnaligned(fromByteOffset: 16 &* word, as: SIMD4<UInt32>.self) &>> UInt32(shift)
            if shift &+ width > 32 {
                let next = source.loadUnaligned(fromByteOffset: 16 &* (word &+ 1), as: SIMD4<UInt32>.self)
                value |= next &<< UInt32(32 &- shift)
            }
            value &= mask
            if base != nil {
                value &+= SIMD4(0, value[0], value[1], value[2])
                value &+= SIMD4(0, 0, value[0], value[1])
                value &+= carry
                carry = SIMD4(repeating: value[3])
            }
            output.storeBytes(of: value, toByteOffset: 16 &* j, as: SIMD4<UInt32>.self)
            bit &+= width
        }
    }
}

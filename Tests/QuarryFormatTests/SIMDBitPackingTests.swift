import QuarryFormat
import QuarryTestSupport
import XCTest

final class SIMDBitPackingTests: XCTestCase {
    /// Every width 0...32: values round-trip and the block takes exactly 16 · width bytes.
    func testRoundTripAtEveryWidth() {
        var random = SeededGenerator(seed: 99)
        for width in 0...32 {
            for round in 0..<4 {
                let mask: UInt64 = width == 32 ? 0xFFFF_FFFF : (1 << UInt64(width)) - 1
                let values = (0..<128).map { i -> UInt32 in
                    // Round 0: all at the maximum; later rounds: random.
                    round == 0 ? UInt32(mask) : UInt32(truncatingIfNeeded: random.next() & mask) | (i == 5 ? UInt32(mask) : 0)
                }
                var writer = ByteWriter()
                values.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: width, into: &writer) }
                XCTAssertEqual(writer.count, SIMDBitPacking.byteCount(width: width))
                // Decode from an odd address: the layout needs no alignment.
                var bytes = [UInt8](repeating: 0xAB, count: 1) + writer.bytes
                var output = [UInt32](repeating: 0xDEAD_BEEF, count: 128)
                bytes.withUnsafeMutableBytes { raw in
                    output.withUnsafeMutableBufferPointer {
                        SIMDBitPacking.unpack(raw.baseAddress! + 1, width: width, into: $0.baseAddress!)
                    }
                }
                XCTAssertEqual(output, values, "width \(width) round \(round)")
            }
        }
    }

    /// unpackRunningSums equals unpack followed by a scalar running sum from the base, at every
    /// width, including sums that wrap around 2^32 (the decoder must not trap).
    func testRunningSumsMatchAScalarPrefixSum() {
        var random = SeededGenerator(seed: 7)
        for width in 0...32 {
            let mask: UInt64 = width == 32 ? 0xFFFF_FFFF : (1 << UInt64(width)) - 1
            let values = (0..<128).map { _ in UInt32(truncatingIfNeeded: random.next() & mask) }
            var writer = ByteWriter()
            values.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: width, into: &writer) }
            for base: UInt32 in [0, 1_000_003, UInt32.max - 5] {
                var expected: [UInt32] = []
                var sum = base
                for value in values {
                    sum &+= value
                    expected.append(sum)
                }
                var output = [UInt32](repeating: 0, count: 128)
                writer.bytes.withUnsafeBytes { raw in
                    output.withUnsafeMutableBufferPointer {
                        SIMDBitPacking.unpackRunningSums(raw.baseAddress!, width: width, base: base, into: $0.baseAddress!)
                    }
                }
                XCTAssertEqual(output, expected, "width \(width) base \(base)")
            }
        }
    }

    /// value(at:) reads each value of a packed block (vertical and horizontal layouts) without
    /// decoding the block, at every width.
    func testSingleValueReadsMatchTheDecodedBlock() {
        var random = SeededGenerator(seed: 17)
        for width in 0...32 {
            let mask: UInt64 = width == 32 ? 0xFFFF_FFFF : (1 << UInt64(width)) - 1
            let values = (0..<128).map { _ in UInt32(truncatingIfNeeded: random.next() & mask) }
            var vertical = ByteWriter()
            var horizontal = ByteWriter()
            values.withUnsafeBufferPointer {
                SIMDBitPacking.pack($0, width: width, into: &vertical)
                BitPacking.pack(UnsafeBufferPointer(rebasing: $0[0..<77]), width: width, into: &horizontal)
            }
            let padded = horizontal.bytes + [UInt8](repeating: 0, count: 8)
            for index in 0..<128 {
                vertical.bytes.withUnsafeBytes { raw in
                    XCTAssertEqual(SIMDBitPacking.value(at: index, in: raw.baseAddress!, width: width), values[index],
                                   "vertical width \(width) index \(index)")
                }
                if index < 77 {
                    padded.withUnsafeBytes { raw in
                        XCTAssertEqual(BitPacking.value(at: index, in: raw.baseAddress!, width: width), values[index],
                                       "horizontal width \(width) index \(index)")
                    }
                }
            }
        }
    }

    /// The decoders in use (the unrolled C kernels on x86-64) equal the Swift reference kernels
    /// at every width, plain and with running sums, on random and all-ones blocks.
    func testKernelsInUseMatchTheSwiftReference() {
        var random = SeededGenerator(seed: 23)
        for width in 0...32 {
            for round in 0..<3 {
                let bytes = (0..<(16 * width)).map { _ in round == 0 ? UInt8(0xFF) : UInt8(truncatingIfNeeded: random.next()) }
                let base = UInt32(truncatingIfNeeded: random.next())
                var used = [UInt32](repeating: 1, count: 128), reference = [UInt32](repeating: 2, count: 128)
                var usedSums = [UInt32](repeating: 3, count: 128), referenceSums = [UInt32](repeating: 4, count: 128)
                (bytes + [0]).withUnsafeBytes { raw in
                    let source = raw.baseAddress!
                    SIMDBitPacking.unpack(source, width: width, into: &used)
                    SIMDBitPacking.unpackInSwift(source, width: width, into: &reference)
                    SIMDBitPacking.unpackRunningSums(source, width: width, base: base, into: &usedSums)
                    SIMDBitPacking.unpackRunningSumsInSwift(source, width: width, base: base, into: &referenceSums)
                }
                XCTAssertEqual(used, reference, "width \(width) round \(round)")
                XCTAssertEqual(usedSums, referenceSums, "running sums, width \(width) round \(round)")
            }
        }
    }

    /// The documented layout: value i is lane i % 4, word k of lane l at position 4k + l.
    func testLayoutMatchesTheFormatComment() {
        let values = (0..<128).map { UInt32($0 % 8) }  // fits 3 bits
        var writer = ByteWriter()
        values.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: 3, into: &writer) }
        let words = stride(from: 0, to: writer.count, by: 4).map { i in
            writer.bytes[i..<(i + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(8 * $1.offset) }
        }
        // Lane 0, word 0: values 0, 4, 8, 12, ... (i % 8 = 0, 4, 0, 4, ...) at 3 bits each.
        var expected: UInt32 = 0
        for j in 0..<10 { expected |= UInt32((4 * j) % 8) << UInt32(3 * j) }
        expected |= UInt32((4 * 10) % 8 & 0b11) << 30
        XCTAssertEqual(words[0], expected)
    }
}

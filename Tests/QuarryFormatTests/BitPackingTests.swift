import QuarryFormat
import QuarryTestSupport
import XCTest

/// BitPacking round trips over the lengths around one block (STYLE §7) and every width.
final class BitPackingTests: XCTestCase {
    static let counts = [1, 2, 127, 128, 129]

    func testRoundTripEveryWidthAndCount() {
        var random = SeededGenerator(seed: 0xB17_9AC4)
        for count in Self.counts {
            for width in 0...BitPacking.maxWidth {
                let mask: UInt64 = width == 0 ? 0 : (1 << UInt64(width)) - 1
                var values = (0..<count).map { _ in UInt32(truncatingIfNeeded: random.next() & mask) }
                // Make sure the widest value of the width occurs, so every bit of the width is exercised.
                values[count / 2] = UInt32(truncatingIfNeeded: mask)
                var writer = ByteWriter()
                values.withUnsafeBufferPointer { BitPacking.pack($0, width: width, into: &writer) }
                let expectedBytes = (count * width + 7) / 8
                XCTAssertEqual(writer.count, expectedBytes, "count \(count) width \(width): bytes written")
                XCTAssertEqual(BitPacking.byteCount(count: count, width: width), expectedBytes)
                // The decoder loads 8 bytes at a time: pad as every index file does (its footer).
                // Fill the pad with ones so a decoder that reads into it is caught.
                var padded = writer.bytes
                padded.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
                var decoded = [UInt32](repeating: 0xDEAD_BEEF, count: count + 1)
                padded.withUnsafeBytes { source in
                    decoded.withUnsafeMutableBufferPointer { destination in
                        BitPacking.unpack(source.baseAddress!, count: count, width: width, into: destination.baseAddress!)
                    }
                }
                XCTAssertEqual(Array(decoded[..<count]), values, "count \(count) width \(width): values")
                XCTAssertEqual(decoded[count], 0xDEAD_BEEF, "count \(count) width \(width): wrote past count")
            }
        }
    }

    func testWidthOf() {
        XCTAssertEqual(BitPacking.width(of: 0), 0)
        XCTAssertEqual(BitPacking.width(of: 1), 1)
        XCTAssertEqual(BitPacking.width(of: 2), 2)
        XCTAssertEqual(BitPacking.width(of: 255), 8)
        XCTAssertEqual(BitPacking.width(of: 256), 9)
        XCTAssertEqual(BitPacking.width(of: UInt32.max), 32)
        for width in 1...32 {
            XCTAssertEqual(BitPacking.width(of: UInt32(truncatingIfNeeded: (UInt64(1) << UInt64(width)) - 1)), width)
        }
    }

    /// The worked example in BitPacking.swift's header: width 3 puts v2 across bytes 0 and 1.
    func testBitLayoutMatchesTheDocumentedExample() {
        var writer = ByteWriter()
        [UInt32(1), 2, 7].withUnsafeBufferPointer { BitPacking.pack($0, width: 3, into: &writer) }
        // v0 = 001 at bits 0-2, v1 = 010 at bits 3-5, v2 = 111 at bits 6-8.
        XCTAssertEqual(writer.bytes, [0b1101_0001, 0b0000_0001])
    }
}

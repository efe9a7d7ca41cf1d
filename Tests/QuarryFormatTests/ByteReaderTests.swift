import QuarryFormat
import QuarryTestSupport
import XCTest

/// ByteReader is the bounds check of every decoder: random bytes must throw, never trap.
final class ByteReaderTests: XCTestCase {
    func testVarIntRoundTrip() throws {
        var random = SeededGenerator(seed: 7)
        var values: [UInt64] = [0, 1, 127, 128, 255, 16_383, 16_384, UInt64(UInt32.max), UInt64.max, UInt64.max - 1, 1 << 63]
        for _ in 0..<1000 { values.append(random.next() >> (random.next() % 64)) }
        var writer = ByteWriter()
        for value in values { writer.appendVarInt(value) }
        try writer.bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer, file: "test")
            for value in values { XCTAssertEqual(try reader.readVarInt(), value) }
            XCTAssertTrue(reader.isAtEnd)
            XCTAssertThrowsError(try reader.readVarInt())
        }
    }

    func testVarIntOverflowAndOverlengthThrow() throws {
        // 10 bytes whose last carries more than the 64th bit.
        let overflow: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]
        // 11 bytes: always too long.
        let tooLong: [UInt8] = [UInt8](repeating: 0x80, count: 10) + [0x00]
        for bytes in [overflow, tooLong] {
            try bytes.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer, file: "sample")
                XCTAssertThrowsError(try reader.readVarInt()) { error in
                    XCTAssertEqual((error as? FormatError)?.file, "sample")
                }
            }
        }
        try [UInt8(0x85)].withUnsafeBytes { buffer in   // continuation bit, then the end
            var reader = ByteReader(buffer, file: "sample")
            XCTAssertThrowsError(try reader.readVarInt())
        }
    }

    func testFixedWidthReadsAreLittleEndian() throws {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]
        try bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer, file: "le")
            XCTAssertEqual(try reader.readUInt8(), 0x01)
            XCTAssertEqual(try reader.readUInt16(), 0x0302)
            XCTAssertEqual(try reader.readUInt32(), 0x0706_0504)
            XCTAssertEqual(try reader.readUInt64(), 0x0F0E_0D0C_0B0A_0908)
            XCTAssertTrue(reader.isAtEnd)
            XCTAssertThrowsError(try reader.readUInt8())
        }
    }

    /// Random buffers, random reads: every read either succeeds inside the buffer or throws.
    func testRandomBytesNeverTrap() {
        var random = SeededGenerator(seed: 0xF022)
        for round in 0..<3000 {
            let length = Int(random.next() % 48)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer, file: "fuzz")
                for _ in 0..<16 {
                    let before = reader.offset
                    do {
                        switch random.next() % 8 {
                        case 0: _ = try reader.readVarInt()
                        case 1: _ = try reader.readVarInt(atMost: Int(random.next() % 1000))
                        case 2:
                            let counts = [-1, 0, 1, 7, Int.max, Int.min, Int(random.next() % 64), reader.remaining, reader.remaining + 1]
                            let count = counts[Int(random.next() % UInt64(counts.count))]
                            let slice = try reader.readBytes(count)
                            XCTAssertEqual(slice.count, count)
                        case 3: _ = try reader.readUInt8()
                        case 4: _ = try reader.readUInt16()
                        case 5: _ = try reader.readUInt32()
                        case 6: _ = try reader.readUInt64()
                        default: _ = try reader.readVarInt(atMost: Int.max)
                        }
                    } catch let error as FormatError {
                        XCTAssertEqual(error.file, "fuzz")
                    } catch {
                        XCTFail("round \(round): unexpected error \(error)")
                    }
                    XCTAssertGreaterThanOrEqual(reader.offset, before)
                    XCTAssertLessThanOrEqual(reader.offset, buffer.count, "round \(round): offset past the end")
                }
            }
        }
    }
}

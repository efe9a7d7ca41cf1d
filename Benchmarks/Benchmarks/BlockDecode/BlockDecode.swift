// Block decode: QuarryFormat's SIMDBitPacking.unpack (the 4-lane layout of full index blocks)
// and BitPacking.unpack (the horizontal layout of partial blocks) on 128-integer blocks at several widths,
// against memcpy of the same packed bytes (the physical limit: moving the bytes at all) and
// against a naive loop that reads one bit at a time (the floor any decoder should clear).
//
// Every measurement decodes exactly 1,000,000 integers (7,812 blocks of 128 plus one of 64),
// with scalingFactor .mega, so the throughput column reads as millions of integers per second.
// The packed input cycles through a ring of 64 distinct blocks (at most 32 KiB: L1/L2-resident,
// as a block being decoded is in a query) and the output is one 128-integer buffer, as in a
// posting cursor.

import Benchmark
import QuarryFormat

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Integers decoded per measurement (must equal the scaling factor).
private let intsPerMeasurement = 1_000_000
private let blockSize = 128
private let ringBlocks = 64
private let fullBlocks = intsPerMeasurement / blockSize               // 7,812
private let tailCount = intsPerMeasurement - fullBlocks * blockSize   // 64

/// Packed blocks of random values of exactly `width` bits, each at a fixed stride, with 8 bytes
/// of slack after the last one (BitPacking.unpack reads 8 bytes at a time).
private final class PackedRing: @unchecked Sendable {
    let width: Int
    let stride: Int
    let bytes: UnsafeMutableRawPointer
    /// The same blocks in the 4-lane vertical layout full index blocks use (SIMDBitPacking).
    let simdBytes: UnsafeMutableRawPointer
    let simdStride: Int
    let output: UnsafeMutablePointer<UInt32>

    init(width: Int) {
        self.width = width
        let blockBytes = BitPacking.byteCount(count: blockSize, width: width)
        stride = blockBytes
        let total = stride * ringBlocks + 16
        bytes = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 64)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        simdStride = SIMDBitPacking.byteCount(width: width)
        simdBytes = UnsafeMutableRawPointer.allocate(byteCount: simdStride * ringBlocks + 16, alignment: 64)
        simdBytes.initializeMemory(as: UInt8.self, repeating: 0, count: simdStride * ringBlocks + 16)
        output = UnsafeMutablePointer<UInt32>.allocate(capacity: blockSize)
        output.initialize(repeating: 0, count: blockSize)

        var state: UInt64 = 0x5EED_0000 &+ UInt64(width)
        let mask: UInt64 = width == 32 ? 0xFFFF_FFFF : (1 << UInt64(width)) - 1
        var values = [UInt32](repeating: 0, count: blockSize)
        for block in 0..<ringBlocks {
            for i in 0..<blockSize {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                // The top bit of the width set in value 0 so the block really needs `width` bits.
                values[i] = UInt32(truncatingIfNeeded: (state >> 16) & mask) | (i == 0 ? UInt32(truncatingIfNeeded: (mask + 1) >> 1) : 0)
            }
            var writer = ByteWriter()
            values.withUnsafeBufferPointer { BitPacking.pack($0, width: width, into: &writer) }
            precondition(writer.count == blockBytes)
            writer.bytes.withUnsafeBytes { (bytes + block * stride).copyMemory(from: $0.baseAddress!, byteCount: blockBytes) }
            // Check the decoders against each other once, before anything is measured.
            BitPacking.unpack(bytes + block * stride, count: blockSize, width: width, into: output)
            for i in 0..<blockSize { precondition(output[i] == values[i], "unpack width \(width)") }
            naiveUnpack(bytes + block * stride, count: blockSize, width: width, into: output)
            for i in 0..<blockSize { precondition(output[i] == values[i], "naive width \(width)") }
            var simdWriter = ByteWriter()
            values.withUnsafeBufferPointer { SIMDBitPacking.pack($0, width: width, into: &simdWriter) }
            simdWriter.bytes.withUnsafeBytes { (simdBytes + block * simdStride).copyMemory(from: $0.baseAddress!, byteCount: simdStride) }
            SIMDBitPacking.unpack(simdBytes + block * simdStride, width: width, into: output)
            for i in 0..<blockSize { precondition(output[i] == values[i], "simd width \(width)") }
        }
    }
}

/// One value at a time, one bit at a time: what a decoder looks like before anyone thinks.
@inline(never)
private func naiveUnpack(_ source: UnsafeRawPointer, count: Int, width: Int, into destination: UnsafeMutablePointer<UInt32>) {
    let bytes = source.assumingMemoryBound(to: UInt8.self)
    var bit = 0
    for i in 0..<count {
        var value: UInt32 = 0
        for b in 0..<width {
            let byte = bytes[bit >> 3]
            value |= UInt32((byte >> UInt8(bit & 7)) & 1) << UInt32(b)
            bit += 1
        }
        destination[i] = value
    }
}

private let widths = [1, 4, 8, 12, 20, 32]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput],
        warmupIterations: 3,
        scalingFactor: .mega,
        maxDuration: .seconds(1),
        maxIterations: 1_000
    )

    for width in widths {
        let ring = PackedRing(width: width)
        let label = width < 10 ? "0\(width)" : "\(width)"

        Benchmark("unpack w=\(label)") { benchmark in
            var checksum: UInt32 = 0
            var block = 0
            for _ in 0..<fullBlocks {
                BitPacking.unpack(ring.bytes + block * ring.stride, count: blockSize, width: width, into: ring.output)
                checksum &+= ring.output[0] ^ ring.output[blockSize - 1]
                block = (block + 1) & (ringBlocks - 1)
            }
            BitPacking.unpack(ring.bytes, count: tailCount, width: width, into: ring.output)
            blackHole(checksum)
            blackHole(ring.output)
        }

        Benchmark("simdswift w=\(label)") { benchmark in
            // The Swift kernel (the fallback off x86-64, and what "simd" ran before CQuarrySIMD).
            var checksum: UInt32 = 0
            var block = 0
            for _ in 0..<fullBlocks {
                SIMDBitPacking.unpackInSwift(ring.simdBytes + block * ring.simdStride, width: width, into: ring.output)
                checksum &+= ring.output[0] ^ ring.output[blockSize - 1]
                block = (block + 1) & (ringBlocks - 1)
            }
            BitPacking.unpack(ring.bytes, count: tailCount, width: width, into: ring.output)
            blackHole(checksum)
            blackHole(ring.output)
        }

        Benchmark("simdsums w=\(label)") { benchmark in
            // Doc ids: the same decode plus running sums (what a posting cursor runs per block).
            var checksum: UInt32 = 0
            var block = 0
            for _ in 0..<fullBlocks {
                SIMDBitPacking.unpackRunningSums(ring.simdBytes + block * ring.simdStride, width: width, base: checksum,
                                                 into: ring.output)
                checksum &+= ring.output[0] ^ ring.output[blockSize - 1]
                block = (block + 1) & (ringBlocks - 1)
            }
            BitPacking.unpack(ring.bytes, count: tailCount, width: width, into: ring.output)
            blackHole(checksum)
            blackHole(ring.output)
        }

        Benchmark("simd w=\(label)") { benchmark in
            var checksum: UInt32 = 0
            var block = 0
            for _ in 0..<fullBlocks {
                SIMDBitPacking.unpack(ring.simdBytes + block * ring.simdStride, width: width, into: ring.output)
                checksum &+= ring.output[0] ^ ring.output[blockSize - 1]
                block = (block + 1) & (ringBlocks - 1)
            }
            // The index stores a list's last, partial block horizontally: decode the tail so.
            BitPacking.unpack(ring.bytes, count: tailCount, width: width, into: ring.output)
            blackHole(checksum)
            blackHole(ring.output)
        }

        Benchmark("memcpy w=\(label)") { benchmark in
            var block = 0
            let blockBytes = ring.stride
            let tailBytes = BitPacking.byteCount(count: tailCount, width: width)
            let out = UnsafeMutableRawPointer(ring.output)
            for _ in 0..<fullBlocks {
                memcpy(out, ring.bytes + block * ring.stride, blockBytes)
                block = (block + 1) & (ringBlocks - 1)
            }
            memcpy(out, ring.bytes, tailBytes)
            blackHole(ring.output)
        }

        Benchmark("naive w=\(label)") { benchmark in
            var checksum: UInt32 = 0
            var block = 0
            for _ in 0..<fullBlocks {
                naiveUnpack(ring.bytes + block * ring.stride, count: blockSize, width: width, into: ring.output)
                checksum &+= ring.output[0] ^ ring.output[blockSize - 1]
                block = (block + 1) & (ringBlocks - 1)
            }
            naiveUnpack(ring.bytes, count: tailCount, width: width, into: ring.output)
            blackHole(checksum)
            blackHole(ring.output)
        }
    }
}

/// A growable little-endian byte buffer for building file sections in memory.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Number of bytes written.
    public var count: Int { bytes.count }

    public mutating func removeAll(keepingCapacity: Bool = true) { bytes.removeAll(keepingCapacity: keepingCapacity) }

    @inline(__always) public mutating func append(_ byte: UInt8) { bytes.append(byte) }
    public mutating func append<C: Collection>(contentsOf other: C) where C.Element == UInt8 { bytes.append(contentsOf: other) }

    @inline(__always) public mutating func appendUInt16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value)); bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }
    @inline(__always) public mutating func appendUInt32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
    @inline(__always) public mutating func appendUInt64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    /// LEB128: 7 bits per byte, low group first, high bit = more bytes follow.
    @inline(__always) public mutating func appendVarInt(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    @inline(__always) public mutating func appendVarInt(_ value: Int) { appendVarInt(UInt64(value)) }

    /// Overwrites one byte at `offset` (for back-patched counts).
    public mutating func patchByte(_ value: UInt8, at offset: Int) { bytes[offset] = value }

    /// Overwrites 4 bytes at `offset` (for back-patched lengths).
    public mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt32(8 * i)) }
    }
}

/// A bounds-checked cursor over borrowed bytes (usually a slice of a mapped file).
///
/// Every read throws `FormatError` instead of reading past the end, so corrupt data never traps.
/// - Warning: do not let the reader outlive the buffer it borrows.
public struct ByteReader {
    /// The borrowed bytes.
    public let buffer: UnsafeRawBufferPointer
    /// Offset of the next read.
    public var offset: Int
    /// File name for error messages.
    public let file: String

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0, file: String) {
        self.buffer = buffer
        self.offset = offset
        self.file = file
    }

    public var remaining: Int { buffer.count - offset }
    public var isAtEnd: Bool { offset >= buffer.count }

    @inline(__always) private func need(_ count: Int) throws {
        if count < 0 || offset < 0 || count > buffer.count - offset {
            throw FormatError(.corrupt, file: file, offset: offset,
                              reason: "needs \(count) bytes, \(max(0, buffer.count - offset)) left")
        }
    }

    public mutating func readUInt8() throws -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return buffer[offset]
    }
    public mutating func readUInt16() throws -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    public mutating func readUInt32() throws -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    public mutating func readUInt64() throws -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    public mutating func readVarInt() throws -> UInt64 {
        // Fast path: a one-byte varint (most of them), or any varint with 10 bytes in reach:
        // one bounds check instead of one per byte.
        if offset + 10 <= buffer.count {
            let base = buffer.baseAddress!
            var byte = base.load(fromByteOffset: offset, as: UInt8.self)
            if byte < 0x80 {
                offset += 1
                return UInt64(byte)
            }
            var result = UInt64(byte & 0x7f)
            var shift: UInt64 = 7
            var at = offset + 1
            while true {
                // Safe: at < offset + 10 <= buffer.count (shift reaches 70 by the 10th byte).
                byte = base.load(fromByteOffset: at, as: UInt8.self)
                at += 1
                if shift == 63 && byte > 1 {
                    throw FormatError(.corrupt, file: file, offset: at - 1, reason: "varint overflows 64 bits")
                }
                result |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 {
                    offset = at
                    return result
                }
                shift += 7
                if shift > 63 { throw FormatError(.corrupt, file: file, offset: at, reason: "varint longer than 10 bytes") }
            }
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            if shift == 63 && byte > 1 {
                throw FormatError(.corrupt, file: file, offset: offset - 1, reason: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw FormatError(.corrupt, file: file, offset: offset, reason: "varint longer than 10 bytes") }
        }
    }
    /// A varint that must fit in `Int` and be at most `limit`.
    public mutating func readVarInt(atMost limit: Int) throws -> Int {
        let start = offset
        let value = try readVarInt()
        guard value <= UInt64(limit) else {
            throw FormatError(.corrupt, file: file, offset: start, reason: "value \(value) over the limit \(limit)")
        }
        return Int(value)
    }
    public mutating func readBytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        try need(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
    }
}

/// Unchecked little-endian loads for hot loops.
///
/// Callers must have checked `offset + MemoryLayout<T>.size <= buffer.count` once, outside the loop.
@inline(__always)
public func loadLE32(_ base: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@inline(__always)
public func loadLE64(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

// Splits a byte stream into lines without ever holding more than one record's worth of bytes.
//
// The buffer starts at `chunkBytes` and doubles while a line does not fit, up to
// `maxLineBytes + 1` bytes; a line that still has no "\n" by then is over the limit, and its
// remaining bytes are read and counted but not kept ("discard mode"). Memory is therefore bounded
// by max(chunkBytes, maxLineBytes + 1) whatever the input.

/// What the line reader hands out for one line.
enum LineContent {
    /// The line's bytes, without the "\n" (a "\r" before it is kept; JSON treats it as space).
    /// - Warning: valid only inside the closure it is passed to; do not escape it.
    case bytes(UnsafeRawBufferPointer)
    /// A line longer than the limit; `byteCount` excludes the "\n".
    case oversize(byteCount: Int)
}

/// Reads lines from a ByteStream, in chunks.
final class LineReader {
    /// Read size: large enough to amortize syscalls and decompressor calls, small for the cache.
    static let chunkBytes = 1 << 20

    private let source: ByteStream
    private let maxLineBytes: Int
    private var storage: UnsafeMutableRawBufferPointer
    /// Unconsumed bytes are storage[start..<end].
    private var start = 0
    private var end = 0
    private var sourceEnded = false
    /// The 1-based number of the line last handed out.
    private(set) var lineNumber = 0

    init(source: ByteStream, maxLineBytes: Int) {
        self.source = source
        self.maxLineBytes = max(0, maxLineBytes)
        storage = .allocate(byteCount: Self.chunkBytes, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Calls `body` with the next line and returns its result; nil at the end of the stream.
    func nextLine<R>(_ body: (LineContent) throws -> R) throws -> R? {
        var scanFrom = start
        while true {
            if let newline = Self.firstNewline(in: storage, from: scanFrom, to: end) {
                lineNumber += 1
                let lineStart = start
                start = newline + 1
                let length = newline - lineStart
                if length > maxLineBytes { return try body(.oversize(byteCount: length)) }
                return try body(.bytes(UnsafeRawBufferPointer(rebasing: storage[lineStart..<newline])))
            }
            scanFrom = end
            let pending = end - start
            if pending > maxLineBytes {
                return try body(.oversize(byteCount: try discardRestOfLine(counted: pending)))
            }
            if sourceEnded {
                if pending == 0 { return nil }
                lineNumber += 1
                let lineStart = start
                start = end
                return try body(.bytes(UnsafeRawBufferPointer(rebasing: storage[lineStart..<end])))
            }
            // Make room: move the partial line to the front, or grow while under the limit.
            if start > 0 {
                if pending > 0, let base = storage.baseAddress {
                    // Overlapping move (memmove semantics).
                    base.copyMemory(from: base + start, byteCount: pending)
                }
                start = 0
                end = pending
                scanFrom = pending
            }
            if end == storage.count {
                grow()
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if n == 0 { sourceEnded = true } else { end += n }
        }
    }

    /// Doubles the buffer, never beyond maxLineBytes + 1 (enough to see that a line is too long).
    private func grow() {
        let newCount = max(storage.count, min(storage.count * 2, maxLineBytes + 1))
        if newCount == storage.count { return }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: newCount, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<end]))
        storage.deallocate()
        storage = bigger
    }

    /// Drops the buffered partial line and reads on to the next "\n", keeping only a count.
    /// Returns the line's full length; the bytes after its "\n" stay buffered.
    private func discardRestOfLine(counted alreadyCounted: Int) throws -> Int {
        var count = alreadyCounted
        start = 0
        end = 0
        while true {
            let n = try source.read(into: storage)
            if n == 0 {
                sourceEnded = true
                lineNumber += 1
                return count
            }
            if let newline = Self.firstNewline(in: storage, from: 0, to: n) {
                count += newline
                start = newline + 1
                end = n
                lineNumber += 1
                return count
            }
            count += n
        }
    }

    /// The index of the first "\n" in buffer[from..<to], if any.
    @inline(__always)
    private static func firstNewline(in buffer: UnsafeMutableRawBufferPointer, from: Int, to: Int) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        // Safe: from..<to lies within buffer (callers pass indices into the filled part).
        var i = from
        // Eight bytes at a time: a zero byte in (word ^ 0x0a0a..) marks a "\n" (classic SWAR test).
        while i + 8 <= to {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x0a0a_0a0a_0a0a_0a0a
            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < to {
            if base.load(fromByteOffset: i, as: UInt8.self) == 0x0a { return i }
            i += 1
        }
        return nil
    }
}

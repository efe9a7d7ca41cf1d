// Byte streams under the line reader: a raw file (with a few peeked bytes pushed back) and
// streaming gzip / zstd decompressors on top of it. Each `read(into:)` returns at least one byte,
// or 0 once at the end; a corrupt or truncated compressed stream throws an InputError naming the file.

import CZlib
import CZstd
import QuarrySystem

/// A sequential stream of bytes.
protocol ByteStream: AnyObject {
    /// Fills the front of `buffer`; returns how many bytes were written, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Which decoder a source needs, from its first bytes.
enum StreamEncoding: Equatable {
    case plain, gzip, zstd

    /// gzip members start 1f 8b; zstd frames start with the magic 0xFD2FB528 little-endian.
    init(magic: [UInt8]) {
        if magic.count >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
            self = .gzip
        } else if magic.count >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd {
            self = .zstd
        } else {
            self = .plain
        }
    }
}

/// The bytes of an InputFile, counting what was consumed (compressed bytes, for progress).
final class RawStream: ByteStream {
    let file: InputFile
    /// Bytes read from the file so far.
    private(set) var byteCount = 0
    private var pushedBack: [UInt8] = []

    init(file: InputFile) {
        self.file = file
    }

    /// Reads up to `count` bytes and pushes them back so that the next reads see them again.
    func peek(count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try bytes.withUnsafeMutableBytes { try readFile(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(count - filled)
        pushedBack = bytes + pushedBack
        return bytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !pushedBack.isEmpty {
            let n = min(buffer.count, pushedBack.count)
            pushedBack.withUnsafeBytes { pushed in
                // Safe: n <= pushed.count and n <= buffer.count.
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: pushed[..<n]))
            }
            pushedBack.removeFirst(n)
            return n
        }
        return try readFile(into: buffer)
    }

    private func readFile(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            let n = try file.read(into: buffer)
            byteCount += n
            return n
        } catch let error as SystemError {
            throw InputError(message: "cannot read '\(error.path ?? "")': \(error.reason)")
        }
    }
}

/// Size of the compressed-input buffers: large reads, few syscalls.
private let compressedChunkBytes = 256 << 10

/// gzip (or zlib) via zlib's streaming inflate; concatenated gzip members are read as one stream.
final class GzipStream: ByteStream {
    private let source: ByteStream
    private let name: String
    /// zlib keeps a pointer back to the z_stream in its state, so it must not move: heap-allocated.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    /// True right after a member ended: the end of input here is a clean end.
    private var atMemberBoundary = false
    private var ended = false

    init(source: ByteStream, name: String) throws {
        self.source = source
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: compressedChunkBytes, alignment: 16)
        // 15 + 32: 32 KiB window, detect a gzip or zlib header automatically.
        let rc = inflateInit2_(stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if rc != Z_OK {
            stream.deinitialize(count: 1)
            stream.deallocate()
            input.deallocate()
            throw InputError(message: "cannot read '\(name)': inflateInit failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let capacity = UInt32(clamping: buffer.count)
        stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = capacity
        while stream.pointee.avail_out == capacity {
            if stream.pointee.avail_in == 0 && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 {
                    inputEnded = true
                } else {
                    stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = UInt32(n)
                }
            }
            if stream.pointee.avail_in == 0 && inputEnded && atMemberBoundary {
                ended = true
                break
            }
            let before = stream.pointee.avail_out
            let rc = inflate(stream, Z_NO_FLUSH)
            switch rc {
            case Z_STREAM_END:
                // Another member may follow (`cat a.gz b.gz`): start over on the remaining input.
                inflateReset(stream)
                atMemberBoundary = true
            case Z_OK, Z_BUF_ERROR:
                if rc == Z_OK { atMemberBoundary = false }
                if stream.pointee.avail_in == 0 && inputEnded && stream.pointee.avail_out == before {
                    throw InputError(message: "cannot read '\(name)': truncated gzip stream "
                                     + "(ends after \(stream.pointee.total_in) bytes of its last member)")
                }
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw InputError(message: "cannot read '\(name)': corrupt gzip data: \(detail)")
            }
        }
        return buffer.count - Int(stream.pointee.avail_out)
    }
}

/// zstd via ZSTD_decompressStream; concatenated frames are read as one stream.
final class ZstdStream: ByteStream {
    private let source: ByteStream
    private let name: String
    private let dstream: OpaquePointer
    private let input: UnsafeMutableRawBufferPointer
    private var inBuffer: ZSTD_inBuffer
    private var inputEnded = false
    /// The last ZSTD_decompressStream result: 0 means a frame is complete and fully flushed.
    private var lastHint = 1
    private var ended = false

    init(source: ByteStream, name: String) throws {
        self.source = source
        self.name = name
        guard let d = ZSTD_createDStream() else {
            throw InputError(message: "cannot read '\(name)': ZSTD_createDStream failed")
        }
        dstream = d
        let initResult = ZSTD_initDStream(d)
        input = .allocate(byteCount: max(ZSTD_DStreamInSize(), compressedChunkBytes), alignment: 16)
        inBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(input.baseAddress), size: 0, pos: 0)
        if ZSTD_isError(initResult) != 0 {
            ZSTD_freeDStream(d)
            input.deallocate()
            throw InputError(message: "cannot read '\(name)': ZSTD_initDStream failed")
        }
    }

    deinit {
        ZSTD_freeDStream(dstream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var outBuffer = ZSTD_outBuffer(dst: out, size: buffer.count, pos: 0)
        while outBuffer.pos == 0 {
            if inBuffer.pos == inBuffer.size && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 {
                    inputEnded = true
                } else {
                    inBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(input.baseAddress), size: n, pos: 0)
                }
            }
            let inputExhausted = inBuffer.pos == inBuffer.size && inputEnded
            if inputExhausted && lastHint == 0 {
                ended = true
                break
            }
            let result = ZSTD_decompressStream(dstream, &outBuffer, &inBuffer)
            if ZSTD_isError(result) != 0 {
                let detail = String(cString: ZSTD_getErrorName(result))
                throw InputError(message: "cannot read '\(name)': corrupt zstd data: \(detail)")
            }
            lastHint = result
            if inputExhausted && outBuffer.pos == 0 && result != 0 {
                throw InputError(message: "cannot read '\(name)': truncated zstd stream")
            }
        }
        return outBuffer.pos
    }
}

import NIOCore

/// One unit of input: a complete request line, or the fact that a line was too long.
enum LineFrame {
    /// A line without its "\n" (and without a trailing "\r"). `followedByInput`: more bytes had
    /// already arrived after it (the client is pipelining), so the handler may spread the work.
    case line(ByteBuffer, followedByInput: Bool)
    /// A line longer than the limit; its bytes were (or are being) discarded.
    case tooLong(byteCount: Int)
}

/// Splits the byte stream at "\n" with a bound on line length.
///
/// An over-long line produces one `.tooLong` as soon as it crosses the limit; the rest of it is
/// dropped as it arrives (`discarding`), so a client can never make us buffer more than
/// `maxLineBytes` plus one read. The next line is decoded normally.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFrame

    let maxLineBytes: Int
    /// Inside an over-long line: drop bytes up to and including the next "\n".
    private var discarding = false
    /// Bytes at the front of the buffer already scanned for "\n" (no rescanning of slow lines).
    private var scannedBytes = 0

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + min(scannedBytes, view.count)
        if let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) {
            scannedBytes = 0
            let lineLength = newline - view.startIndex
            if discarding {
                discarding = false
                buffer.moveReaderIndex(forwardBy: lineLength + 1)
                return .continue
            }
            if lineLength > maxLineBytes {
                buffer.moveReaderIndex(forwardBy: lineLength + 1)
                context.fireChannelRead(wrapInboundOut(.tooLong(byteCount: lineLength)))
                return .continue
            }
            // Safe: lineLength + 1 <= readableBytes, found above.
            var line = buffer.readSlice(length: lineLength)!
            buffer.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            context.fireChannelRead(wrapInboundOut(.line(line, followedByInput: buffer.readableBytes > 0)))
            return .continue
        }
        if discarding {
            buffer.moveReaderIndex(forwardBy: view.count)
            scannedBytes = 0
            return .needMoreData
        }
        if view.count > maxLineBytes {
            context.fireChannelRead(wrapInboundOut(.tooLong(byteCount: view.count)))
            buffer.moveReaderIndex(forwardBy: view.count)
            discarding = true
            scannedBytes = 0
            return .needMoreData
        }
        scannedBytes = view.count
        return .needMoreData
    }

    /// At end of input, a final line without "\n" is still a request (`printf '{"op":"ping"}' | socat …`).
    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            if !discarding, let line = buffer.readSlice(length: buffer.readableBytes) {
                context.fireChannelRead(wrapInboundOut(.line(line, followedByInput: false)))
            }
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
        discarding = false
        scannedBytes = 0
        return .needMoreData
    }
}

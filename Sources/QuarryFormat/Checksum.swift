import CZlib

/// CRC-32 (zlib's polynomial 0xEDB88320), the checksum of every index file's footer.
public enum Checksum {
    /// Checksum kind stored in footers: 1 = zlib CRC-32.
    public static let kindCRC32: UInt32 = 1

    /// CRC-32 of `bytes`, continuing from `seed` (0 to start).
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        var crc = UInt(seed)
        var offset = 0
        // zlib takes a 32-bit length; feed large buffers in 1 GiB pieces.
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base.assumingMemoryBound(to: UInt8.self) + offset, UInt32(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }
}

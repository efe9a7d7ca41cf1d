import QuarryFormat
import QuarrySystem

#if canImport(Glibc)
import Glibc
#endif

/// External ids during a build: spooled to two temporary files in doc-id order, with exact
/// duplicate detection in 8 bytes of memory per id (no `Set<String>` of every id).
///
///     ids-bytes.tmp    every id's UTF-8 bytes back to back (the ids file's IDBytes)
///     ids-ends.tmp     u64le end offset of each id in ids-bytes.tmp (IDOffset[1...DocCount])
///
/// Both are copied into the final "ids" file by `writeIDsFile` (its format: DocumentTables.swift)
/// and removed with the rest of the generation's temporary files.
///
/// Duplicate detection: an entry is `hash32 << 32 | docID`, where hash32 is 32 bits of a 64-bit
/// hash of the id. Entries live in a small open-addressing table for recent ids and, every
/// 65,536 ids, are merged into one sorted array (grown with realloc, merged in place from the
/// back) searched by interpolation (hashes are uniform: a few probes). An id whose hash32
/// matches an entry is confirmed by reading the earlier id back from the spool files (pread), so
/// a reported duplicate is always real: ~n²/2^33 look-ups in all (about 3,000 at 5 M ids) plus
/// one per true duplicate.
final class IDRegistry {
    /// Slots of the recent-ids table (a power of two) and how many ids it takes before merging
    /// into the sorted array: 2^17 and 2^16 (1 MiB) for budgets of 64 MiB and more, less below.
    private let recentSlotCount: Int
    private var recentLimit: Int { recentSlotCount / 2 }
    private static let emptySlot = UInt64.max

    private let bytesPath: String
    private let endsPath: String
    private let bytesFile: OutputFile
    private let endsFile: OutputFile
    private var bytesReader: RandomAccessFile?
    private var endsReader: RandomAccessFile?
    private var byteOffset: UInt64 = 0
    private var endsBuffer = ByteWriter(capacity: 1 << 16)
    /// Ids whose bytes and ends have reached the kernel (readable by pread).
    private var flushedCount = 0
    @exclusivity(unchecked) private var recent: [UInt64]
    private var recentCount = 0
    private var sorted: UnsafeMutablePointer<UInt64>?
    private var sortedCount = 0
    private var sortedCapacity = 0
    /// Ids added.
    private(set) var count = 0

    init(directory: String, memoryBytes: Int) throws {
        var slots = 1 << 10
        while slots < 1 << 17 && slots * 2 * 8 * 64 <= memoryBytes { slots *= 2 }
        recentSlotCount = slots
        bytesPath = directory + "/ids-bytes.tmp"
        endsPath = directory + "/ids-ends.tmp"
        bytesFile = try OutputFile(creating: bytesPath)
        endsFile = try OutputFile(creating: endsPath)
        recent = [UInt64](repeating: Self.emptySlot, count: slots)
    }

    deinit { free(sorted) }

    /// Bytes held in memory (for the budget): the sorted array's capacity and the recent table.
    var byteCount: Int { sortedCapacity * 8 + recent.count * 8 + endsBuffer.count }

    /// Adds `id` as the next doc id unless an earlier document has the same id (then false, and
    /// nothing is added).
    func add(_ id: String) throws -> Bool {
        let hash32 = UInt32(truncatingIfNeeded: id.termHash(seed: 0x1D5) >> 32)
        if try isDuplicate(id, hash32: hash32) { return false }
        let docID = UInt32(count)
        var slot = Int(hash32) & (recentSlotCount - 1)
        while recent[slot] != Self.emptySlot { slot = (slot + 1) & (recentSlotCount - 1) }
        recent[slot] = UInt64(hash32) << 32 | UInt64(docID)
        recentCount += 1
        count += 1
        let utf8 = id.utf8
        try bytesFile.write(utf8)
        byteOffset += UInt64(utf8.count)
        endsBuffer.appendUInt64(byteOffset)
        if endsBuffer.count >= 1 << 16 { try endsFile.write(endsBuffer.bytes); endsBuffer.removeAll() }
        if recentCount >= recentLimit { mergeRecent() }
        return true
    }

    private func isDuplicate(_ id: String, hash32: UInt32) throws -> Bool {
        var slot = Int(hash32) & (recentSlotCount - 1)
        while recent[slot] != Self.emptySlot {
            let entry = recent[slot]
            if UInt32(entry >> 32) == hash32, try storedID(UInt32(truncatingIfNeeded: entry)) == id { return true }
            slot = (slot + 1) & (recentSlotCount - 1)
        }
        guard let sorted, sortedCount > 0 else { return false }
        var index = firstIndex(atLeast: UInt64(hash32) << 32, in: sorted)
        while index < sortedCount && UInt32(sorted[index] >> 32) == hash32 {
            if try storedID(UInt32(truncatingIfNeeded: sorted[index])) == id { return true }
            index += 1
        }
        return false
    }

    /// First index whose entry is >= target: interpolation steps (uniform hashes), then binary.
    private func firstIndex(atLeast target: UInt64, in entries: UnsafeMutablePointer<UInt64>) -> Int {
        var low = 0, high = sortedCount // answer in low...high
        var steps = 0
        while high - low > 16 && steps < 4 {
            let lowValue = entries[low], highValue = entries[high - 1]
            if target <= lowValue { return low }
            if target > highValue { return high }
            let fraction = Double(target - lowValue) / Double(highValue - lowValue)
            let guess = min(high - 1, max(low, low + Int(fraction * Double(high - 1 - low))))
            if entries[guess] < target { low = guess + 1 } else { high = guess }
            steps += 1
        }
        while low < high {
            let middle = (low + high) / 2
            if entries[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func mergeRecent() {
        var fresh = recent.filter { $0 != Self.emptySlot }
        fresh.sort()
        for i in recent.indices { recent[i] = Self.emptySlot }
        recentCount = 0
        let total = sortedCount + fresh.count
        if total > sortedCapacity {
            let capacity = max(total, sortedCapacity + sortedCapacity / 8, recentLimit)
            guard let grown = realloc(sorted, capacity * 8) else { fatalError("out of memory for \(capacity) id hashes") }
            sorted = grown.assumingMemoryBound(to: UInt64.self)
            sortedCapacity = capacity
        }
        let entries = sorted!
        var write = total - 1, left = sortedCount - 1, right = fresh.count - 1
        while right >= 0 {
            if left >= 0 && entries[left] > fresh[right] {
                entries[write] = entries[left]; left -= 1
            } else {
                entries[write] = fresh[right]; right -= 1
            }
            write -= 1
        }
        sortedCount = total
    }

    /// The id of an earlier document, read back from the spool files.
    private func storedID(_ docID: UInt32) throws -> String {
        let doc = Int(docID)
        if doc >= flushedCount {
            try endsFile.write(endsBuffer.bytes)
            endsBuffer.removeAll()
            try bytesFile.flushBuffer()
            try endsFile.flushBuffer()
            flushedCount = count
        }
        if bytesReader == nil {
            bytesReader = try RandomAccessFile(path: bytesPath)
            endsReader = try RandomAccessFile(path: endsPath)
        }
        var ends = [UInt8](repeating: 0, count: 16)
        let start: UInt64, end: UInt64
        if doc == 0 {
            try ends.withUnsafeMutableBytes { try endsReader!.read(at: 0, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<8])) }
            start = 0
            end = UInt64(littleEndian: ends.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        } else {
            try ends.withUnsafeMutableBytes { try endsReader!.read(at: (doc - 1) * 8, into: $0) }
            start = UInt64(littleEndian: ends.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            end = UInt64(littleEndian: ends.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) })
        }
        var bytes = [UInt8](repeating: 0, count: Int(end - start))
        if !bytes.isEmpty { try bytes.withUnsafeMutableBytes { try bytesReader!.read(at: Int(start), into: $0) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes the final "ids" file (IDBytes, IDOffset^(DocCount + 1), DocCount) from the spool and
    /// frees the in-memory tables.
    func writeIDsFile(_ output: FramedFileWriter) throws {
        try endsFile.write(endsBuffer.bytes)
        endsBuffer.removeAll()
        try bytesFile.closeWithoutSync()
        try endsFile.closeWithoutSync()
        free(sorted)
        sorted = nil
        sortedCount = 0
        sortedCapacity = 0
        recent = []
        bytesReader = nil
        endsReader = nil
        try copyFile(bytesPath, to: output)
        var zero = ByteWriter()
        zero.appendUInt64(0)
        try output.write(zero.bytes)
        try copyFile(endsPath, to: output)
        var trailer = ByteWriter()
        trailer.appendUInt64(UInt64(count))
        try output.write(trailer.bytes)
        try FileSystem.removeFile(bytesPath)
        try FileSystem.removeFile(endsPath)
    }
}

/// Appends a whole file to a framed file, 1 MiB at a time.
func copyFile(_ path: String, to output: FramedFileWriter) throws {
    let input = try InputFile.open(path: path)
    defer { input.close() }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let got = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
        if got == 0 { break }
        try output.write(Array(chunk[0..<got]))
    }
}

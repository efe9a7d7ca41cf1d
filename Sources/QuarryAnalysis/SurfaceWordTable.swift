/// What an `Analyzer` makes of each surface word it has been asked about by `HighlightScanner`,
/// kept across queries: surface bytes -> term (or "dropped"), plus the last scan's decision.
///
/// A word's term depends only on its bytes (see `HighlightScanner`), and the words of stored
/// documents repeat across queries, so after a few queries nearly every word of a snippet is
/// a hit here: a hash of its bytes and a probe, no String and no analyzer call.
///
/// `stamp`: a number a `HighlightScanner` takes from the table for its query; an entry whose
/// stamp is the scanner's holds that query's `decision` (kept, matched, dropped), any other
/// entry has its decision made again from its term.
///
/// Owned by one `Analyzer`, so used by one thread at a time.
final class SurfaceWordTable {
    struct Entry {
        var hash: UInt64
        /// Where the surface word's bytes start in `keyBytes`, and how many there are.
        var keyStart: Int32
        var keyByteCount: Int32
        /// Index of the word's term in `terms`, or -1 when the analyzer drops the word.
        var term: Int32
        var stamp: UInt32
        var decision: Int32
    }

    /// The table's arrays, moved out into a local variable for the length of a scan (no
    /// exclusivity check or copy-on-write check per word).
    struct Storage {
        /// Open addressing, linear probing: entry index + 1, or 0 for an empty slot. A power of
        /// two long, at most half full.
        var slots: [Int32]
        var entries: [Entry] = []
        /// The surface words of `entries`, back to back.
        var keyBytes: [UInt8] = []
        var terms: [String] = []

        init(slotCount: Int) {
            slots = [Int32](repeating: 0, count: slotCount)
        }
    }

    /// Distinct surface words kept by default; the table starts over when full. About 40 bytes
    /// each (entry, slots, key bytes, term), so at most ~5 MB per analyzer.
    static let defaultMaxEntries = 1 << 17
    static let initialSlotCount = 4096

    let maxEntries: Int
    private var storage = Storage(slotCount: SurfaceWordTable.initialSlotCount)
    private var lastStamp: UInt32 = 0

    init(maxEntries: Int = SurfaceWordTable.defaultMaxEntries) {
        self.maxEntries = max(1, maxEntries)
    }

    /// Distinct surface words in the table.
    var count: Int { storage.entries.count }

    /// A stamp no entry carries yet.
    func newStamp() -> UInt32 {
        if lastStamp == UInt32.max {
            for index in storage.entries.indices { storage.entries[index].stamp = 0 }
            lastStamp = 0
        }
        lastStamp += 1
        return lastStamp
    }

    /// Decision of a word the analyzer drops (no token).
    static let dropped: Int32 = -2

    /// Calls `keep` with the byte range and decision of every word of `bytes` that the analyzer
    /// keeps. `decide(term, surface)` gives the decision for a word whose entry does not carry
    /// `stamp` (at most once per distinct word and stamp); it must not return `dropped`.
    ///
    /// - Warning: `bytes` is valid UTF-8 and is not kept.
    @inline(__always)
    func scan(_ bytes: UnsafeBufferPointer<UInt8>, stamp: UInt32, analyzer: Analyzer,
              decide: (_ term: String, _ surface: UnsafeBufferPointer<UInt8>) -> Int32,
              keep: (_ range: Range<Int>, _ decision: Int32) -> Void) {
        var table = Storage(slotCount: 0)
        swap(&table, &storage)
        defer { swap(&table, &storage) }
        WordScanner.scan(bytes) { word in
            // Safe: the scanner's words lie within `bytes`.
            let surface = UnsafeBufferPointer(rebasing: bytes[word.start..<word.end])
            let hash = Self.hash(surface)
            let mask = table.slots.count - 1
            var slot = Int(truncatingIfNeeded: hash) & mask
            var found = -1
            while true {
                let stored = Int(table.slots[slot])
                if stored == 0 { break }
                let entry = table.entries[stored - 1]
                if entry.hash == hash && Int(entry.keyByteCount) == surface.count
                    && Self.equal(table.keyBytes, Int(entry.keyStart), surface) {
                    found = stored - 1
                    break
                }
                slot = (slot + 1) & mask
            }
            let decision: Int32
            if found >= 0 {
                let entry = table.entries[found]
                if entry.stamp == stamp {
                    decision = entry.decision
                } else {
                    decision = entry.term < 0 ? Self.dropped : decide(table.terms[Int(entry.term)], surface)
                    table.entries[found].stamp = stamp
                    table.entries[found].decision = decision
                }
            } else {
                let term = analyzer.normalize(word: String(decoding: surface, as: UTF8.self))
                decision = term.map { decide($0, surface) } ?? Self.dropped
                if table.entries.count >= maxEntries || table.keyBytes.count > Int(Int32.max) - surface.count {
                    table = Storage(slotCount: Self.initialSlotCount)
                    slot = Int(truncatingIfNeeded: hash) & (table.slots.count - 1)
                }
                var termIndex: Int32 = -1
                if let term {
                    termIndex = Int32(table.terms.count)
                    table.terms.append(term)
                }
                table.entries.append(Entry(hash: hash, keyStart: Int32(table.keyBytes.count), keyByteCount: Int32(surface.count),
                                           term: termIndex, stamp: stamp, decision: decision))
                table.keyBytes.append(contentsOf: surface)
                table.slots[slot] = Int32(table.entries.count)
                if table.entries.count * 2 > table.slots.count { Self.rehash(&table, slotCount: table.slots.count * 2) }
            }
            if decision != Self.dropped { keep(word.start..<word.end, decision) }
        }
    }

    /// FNV-1a, 64 bits: words are short, and it needs no setup.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    @inline(__always)
    private static func equal(_ keys: [UInt8], _ keyStart: Int, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        keys.withUnsafeBufferPointer { keys in
            // Safe: keyStart + word.count <= keys.count, as the entry's byte count equals word.count.
            for offset in 0..<word.count where keys[keyStart + offset] != word[offset] { return false }
            return true
        }
    }

    private static func rehash(_ table: inout Storage, slotCount: Int) {
        table.slots = [Int32](repeating: 0, count: slotCount)
        let mask = slotCount - 1
        for (index, entry) in table.entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while table.slots[slot] != 0 { slot = (slot + 1) & mask }
            table.slots[slot] = Int32(index + 1)
        }
    }
}

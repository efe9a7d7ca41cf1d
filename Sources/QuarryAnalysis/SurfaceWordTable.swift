/// What an `Analyzer` makes of each surface word it has been asked about by `HighlightScanner`,
/// kept across queries: surface bytes -> term id (or "dropped").
///
/// A word's term depends only on its bytes (see `HighlightScanner`), and the words of stored
/// documents repeat across queries, so after a few queries nearly every word of a snippet is
/// a hit here: no String, no analyzer call. Terms are interned (`termID(_:)`), so a scanner
/// compares a word's term id with its query's few term ids, not strings.
///
/// `stamp`: for prefix queries, whose decision needs the word's unstemmed form, a scanner takes
/// a stamp and the table keeps its decision in the slot; a slot whose stamp is the scanner's
/// holds that decision, any other has it made again. Stamp 0: no decision is kept.
///
/// Layout: open addressing with linear probing over 32-byte slots that hold the entry itself
/// (two per cache line), so that a hit costs one memory access in the common case:
///
///     Slot --> Key0 u64, Key1 u64, ByteCount u32, Term i32, Stamp u32, Decision i32
///
/// Key0 and Key1 are the word's first 16 bytes, zero-padded; a longer word keeps Key0 and puts
/// its whole bytes in `longKeys`, Key1 being their offset there. ByteCount 0 marks an empty
/// slot (a word has at least one byte). Term is the term id, -1 when the analyzer drops the word.
///
/// When `maxEntries` words are in, no more are added until the next `prepare()`, which starts
/// the table over; term ids change then (`epoch`), so scanners intern their terms again.
///
/// Owned by one `Analyzer`, so used by one thread at a time.
final class SurfaceWordTable {
    struct Slot {
        var key0: UInt64 = 0
        var key1: UInt64 = 0
        var byteCount: UInt32 = 0
        var term: Int32 = 0
        var stamp: UInt32 = 0
        var decision: Int32 = 0
    }

    /// The table's arrays, moved out into a local variable for the length of a scan (no
    /// exclusivity check or copy-on-write check per word).
    struct Storage {
        /// A power of two long, at most half full.
        var slots: [Slot]
        var count = 0
        /// The bytes of words longer than 16 bytes, back to back.
        var longKeys: [UInt8] = []
        /// Term id -> term, and back.
        var terms: [String] = []
        var termIDs: [String: Int32] = [:]

        init(slotCount: Int) {
            slots = [Slot](repeating: Slot(), count: slotCount)
        }
    }

    /// Distinct surface words kept by default: ~12 MB at most (slots, long keys, terms). On
    /// the medium corpus, 2^15 words made the intersection snippets 20% slower than 2^17 (the
    /// table filled and started over too often).
    static let defaultMaxEntries = 1 << 17
    static let initialSlotCount = 4096

    let maxEntries: Int
    private var storage = Storage(slotCount: SurfaceWordTable.initialSlotCount)
    private var lastStamp: UInt32 = 0
    /// Changes whenever term ids change (the table started over).
    private(set) var epoch = 0

    init(maxEntries: Int = SurfaceWordTable.defaultMaxEntries) {
        self.maxEntries = max(1, maxEntries)
    }

    /// Distinct surface words in the table.
    var count: Int { storage.count }

    /// Starts the table over if it is full (call between scans, never during one).
    func prepare() {
        guard storage.count >= maxEntries || storage.terms.count >= 2 * maxEntries
                || storage.longKeys.count > Int(Int32.max) / 2 else { return }
        storage = Storage(slotCount: Self.initialSlotCount)
        epoch += 1
    }

    /// The id of `term`, the same for every word whose term it is (until `epoch` changes).
    func termID(_ term: String) -> Int32 {
        Self.intern(term, in: &storage)
    }

    private static func intern(_ term: String, in table: inout Storage) -> Int32 {
        if let id = table.termIDs[term] { return id }
        let id = Int32(table.terms.count)
        table.terms.append(term)
        table.termIDs[term] = id
        return id
    }

    /// A stamp no entry carries yet (never 0).
    func newStamp() -> UInt32 {
        if lastStamp == UInt32.max {
            for index in storage.slots.indices { storage.slots[index].stamp = 0 }
            lastStamp = 0
        }
        lastStamp += 1
        return lastStamp
    }

    /// Decision of a word the analyzer drops (no token).
    static let dropped: Int32 = -2

    /// Calls `keep` with the byte range and decision of every word of `bytes` that the analyzer
    /// keeps. `decide(termID, surface)` gives the decision of a kept word (with a nonzero
    /// `stamp`: only for a word whose slot does not carry the stamp); it must not return `dropped`.
    ///
    /// - Warning: `bytes` is valid UTF-8 and is not kept.
    @inline(__always)
    func scan(_ bytes: UnsafeBufferPointer<UInt8>, stamp: UInt32, analyzer: Analyzer,
              decide: (_ termID: Int32, _ surface: UnsafeBufferPointer<UInt8>) -> Int32,
              keep: (_ range: Range<Int>, _ decision: Int32) -> Void) {
        var table = Storage(slotCount: 0)
        swap(&table, &storage)
        defer { swap(&table, &storage) }
        WordScanner.scan(bytes) { word in
            // Safe: the scanner's words lie within `bytes`.
            let byteCount = word.end - word.start
            let (key0, key1) = Self.leadingKeys(bytes, word.start, byteCount)
            var hash = Self.combine(key0, key1, byteCount)
            if byteCount > 16 {
                for index in (word.start + 16)..<word.end { hash = (hash ^ UInt64(bytes[index])) &* 0x0000_0100_0000_01b3 }
            }
            hash = Self.finalize(hash)
            let decision = table.slots.withUnsafeMutableBufferPointer { slots -> Int32 in
                let mask = slots.count - 1
                var slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot].byteCount != 0 {
                    if Int(slots[slot].byteCount) == byteCount && slots[slot].key0 == key0
                        && (byteCount <= 16 ? slots[slot].key1 == key1
                            : Self.longKeyMatches(table.longKeys, Int(slots[slot].key1), bytes, word.start, byteCount)) {
                        let term = slots[slot].term
                        if term < 0 { return Self.dropped }
                        if stamp == 0 { return decide(term, UnsafeBufferPointer(rebasing: bytes[word.start..<word.end])) }
                        if slots[slot].stamp == stamp { return slots[slot].decision }
                        let decision = decide(term, UnsafeBufferPointer(rebasing: bytes[word.start..<word.end]))
                        slots[slot].stamp = stamp
                        slots[slot].decision = decision
                        return decision
                    }
                    slot = (slot + 1) & mask
                }
                return Int32.min  // not in the table
            }
            if decision != Int32.min {
                if decision != Self.dropped { keep(word.start..<word.end, decision) }
                return
            }
            let surface = UnsafeBufferPointer(rebasing: bytes[word.start..<word.end])
            let termID = analyzer.normalize(word: String(decoding: surface, as: UTF8.self)).map { Self.intern($0, in: &table) }
            let newDecision = termID.map { decide($0, surface) } ?? Self.dropped
            Self.insert(&table, maxEntries: maxEntries, hash: hash, key0: key0, key1: key1, surface: surface,
                        termID: termID ?? -1, stamp: stamp, decision: newDecision)
            if newDecision != Self.dropped { keep(word.start..<word.end, newDecision) }
        }
    }

    /// The first 16 bytes and the length, combined (each odd multiply is a bijection).
    @inline(__always)
    private static func combine(_ key0: UInt64, _ key1: UInt64, _ byteCount: Int) -> UInt64 {
        (key0 &* 0x9E37_79B9_7F4A_7C15) ^ (key1 &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(byteCount)
    }

    /// MurmurHash3's 64-bit finalizer: every bit of the input moves the low bits that pick the
    /// slot. (A single multiply left them to the word's first bytes: "perlfaq1" … "perlfaq9"
    /// shared a home slot, and linear probing over such clusters made a 550 KB manual's snippet
    /// take milliseconds.)
    @inline(__always)
    private static func finalize(_ value: UInt64) -> UInt64 {
        var hash = value
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }

    /// The first 16 bytes of the word at `start`, zero-padded, as two little-endian words.
    @inline(__always)
    private static func leadingKeys(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ byteCount: Int) -> (UInt64, UInt64) {
        if byteCount >= 16 || start + 16 <= bytes.count {
            // Safe: 16 bytes from `start` lie within `bytes` (one of the two conditions).
            let base = UnsafeRawPointer(bytes.baseAddress!) + start
            var key0 = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
            var key1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if byteCount < 8 {
                key0 &= (1 &<< UInt64(8 * byteCount)) &- 1
                key1 = 0
            } else if byteCount < 16 {
                key1 &= (1 &<< UInt64(8 * (byteCount - 8))) &- 1
            }
            return (key0, key1)
        }
        var key0: UInt64 = 0, key1: UInt64 = 0
        for offset in 0..<byteCount {
            let byte = UInt64(bytes[start + offset])
            if offset < 8 { key0 |= byte << UInt64(8 * offset) } else { key1 |= byte << UInt64(8 * (offset - 8)) }
        }
        return (key0, key1)
    }

    @inline(__always)
    private static func longKeyMatches(_ keys: [UInt8], _ keyStart: Int, _ bytes: UnsafeBufferPointer<UInt8>,
                                       _ start: Int, _ byteCount: Int) -> Bool {
        keys.withUnsafeBufferPointer { keys in
            // Safe: the entry's bytes were stored with this byte count, so keyStart + byteCount <= keys.count.
            for offset in 0..<byteCount where keys[keyStart + offset] != bytes[start + offset] { return false }
            return true
        }
    }

    private static func insert(_ table: inout Storage, maxEntries: Int, hash: UInt64, key0: UInt64, key1: UInt64,
                               surface: UnsafeBufferPointer<UInt8>, termID: Int32, stamp: UInt32, decision: Int32) {
        // Full: the word is analyzed again next time; `prepare()` starts over between scans.
        guard table.count < maxEntries, table.longKeys.count <= Int(Int32.max) - surface.count else { return }
        var slot = Slot(key0: key0, key1: key1, byteCount: UInt32(surface.count), term: termID, stamp: stamp, decision: decision)
        if surface.count > 16 {
            slot.key1 = UInt64(table.longKeys.count)
            table.longKeys.append(contentsOf: surface)
        }
        if (table.count + 1) * 2 > table.slots.count { grow(&table) }
        place(slot, hash: hash, in: &table.slots)
        table.count += 1
    }

    private static func place(_ slot: Slot, hash: UInt64, in slots: inout [Slot]) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].byteCount != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    /// Doubles the slots; every entry's hash is recomputed from its key.
    private static func grow(_ table: inout Storage) {
        let old = table.slots
        table.slots = [Slot](repeating: Slot(), count: old.count * 2)
        for slot in old where slot.byteCount != 0 {
            place(slot, hash: rehash(slot, longKeys: table.longKeys), in: &table.slots)
        }
    }

    /// The hash `scan` computes for the word a slot holds.
    private static func rehash(_ slot: Slot, longKeys: [UInt8]) -> UInt64 {
        let byteCount = Int(slot.byteCount)
        let key1 = byteCount <= 16 ? slot.key1 : Self.littleEndianWord(longKeys, Int(slot.key1) + 8)
        var hash = combine(slot.key0, key1, byteCount)
        if byteCount > 16 {
            for index in (Int(slot.key1) + 16)..<(Int(slot.key1) + byteCount) {
                hash = (hash ^ UInt64(longKeys[index])) &* 0x0000_0100_0000_01b3
            }
        }
        return finalize(hash)
    }

    private static func littleEndianWord(_ bytes: [UInt8], _ start: Int) -> UInt64 {
        var value: UInt64 = 0
        for offset in 0..<8 { value |= UInt64(bytes[start + offset]) << UInt64(8 * offset) }
        return value
    }
}

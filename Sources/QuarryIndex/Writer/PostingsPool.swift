/// The in-memory postings of the current run: a term table and every term's postings as a
/// growable byte slice in large shared pages (Lucene's ByteBlockPool idea), with exact byte
/// accounting so that the writer can spill a run when the memory budget is reached.
///
/// Layout in memory (nothing here reaches the final index files; a spilled run copies the
/// bytes into a run file, see RunFile.swift):
///
///     page     256 KiB (at the indexer's mmap threshold, so a freed page leaves the RSS),
///              allocated once and reused after a spill; an address is a UInt32
///              (pageIndex << 18 | offset), so the pool holds at most 4 GiB
///     slice    `sliceByteCounts[level]` bytes: data, then a 4-byte little-endian address of
///              the next slice (written when the slice fills). A term's first slice is level 0
///              (8 bytes: 4 data + 4 link); each next slice is one level larger, up to 4 KiB,
///              so a rare term wastes little and a common term follows few links.
///     postings the term's stream in one run, slices concatenated:
///              (DocDelta varint, TF varint, PositionDelta varint^TF)^DocFreq
///              DocDelta of the first posting is the absolute doc id; PositionDelta of a doc's
///              first position is relative to 0.
///
/// Example: doc 7 with positions 4, 9 then doc 11 with position 2 is `07 02 04 05 | 04 01 02`.
final class PostingsPool {
    static let pageShift = 18
    static let pageByteCount = 1 << pageShift
    static let offsetMask = UInt32(pageByteCount - 1)
    /// Slice sizes by level (data + 4-byte link).
    static let sliceByteCounts: [UInt32] = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    /// Bytes of one term table entry (`TermState`), for the accounting.
    static let termStateByteCount = MemoryLayout<TermState>.stride

    struct TermState {
        var hash: UInt64
        var keyStart: UInt32
        var keyLength: UInt32
        var firstAddress: UInt32
        var writeAddress: UInt32
        /// End of the current slice's data (where its link goes).
        var sliceEnd: UInt32
        var level: UInt32
        var lastDocID: UInt32
        var docFreq: UInt32
        /// Positions in this run (the sum of the term's tfs), so that the merge can size the
        /// term's arrays exactly.
        var positionCount: UInt32
    }

    // The inverter thread alone uses a pool: no dynamic exclusivity checks on the hot state.
    @exclusivity(unchecked) private var pages: [UnsafeMutablePointer<UInt8>] = []
    /// Pages holding this run's data (the rest are kept for reuse after a spill).
    @exclusivity(unchecked) private var pagesInUse = 0
    /// Bytes used in page `pagesInUse - 1`.
    @exclusivity(unchecked) private var pageUsed = PostingsPool.pageByteCount
    @exclusivity(unchecked) private var slots: [Int32]
    @exclusivity(unchecked) private var slotMask: Int
    @exclusivity(unchecked) private(set) var terms: [TermState] = []
    @exclusivity(unchecked) private var keyArena: [UInt8] = []
    /// Postings added to this run (one per term per document).
    @exclusivity(unchecked) private(set) var postingCount = 0

    init() {
        slots = [Int32](repeating: -1, count: 1 << 12)
        slotMask = (1 << 12) - 1
    }

    deinit {
        for page in pages { page.deallocate() }
    }

    var termCount: Int { terms.count }
    var isEmpty: Bool { terms.isEmpty }

    /// Bytes this pool holds: pages (all allocated, used or kept) + `tableByteCount`.
    var byteCount: Int { pages.count * Self.pageByteCount + tableByteCount }

    /// Bytes of this run: pages in use + `tableByteCount`. The budget compares with this.
    var usedByteCount: Int { pagesInUse * Self.pageByteCount + tableByteCount }

    /// The hash slots, term table (and the sort a spill makes of it) and key bytes, with the
    /// arrays counted at the capacity their
    /// doubling growth gives (the next power of two of the count, kept across `reset`), not at
    /// `Array.capacity`: that one comes from malloc_usable_size, which depends on which thread
    /// freed what, and the spill points must not depend on thread timing (byte-identical runs).
    private var tableByteCount: Int {
        slots.count * 4 + Self.grownCapacity(max(terms.count, keptTermCount)) * (Self.termStateByteCount + Self.spillByteCountPerTerm)
            + Self.grownCapacity(max(keyArena.count, keptKeyByteCount))
    }
    /// Bytes per term that a spill or the merge allocates to sort the terms (`sortedTermIDs`:
    /// a 16-byte entry, then a 4-byte id), counted in advance so that they fit in the budget.
    static let spillByteCountPerTerm = 20

    /// Counts before the last `reset` that kept the tables' capacity.
    private var keptTermCount = 0
    private var keptKeyByteCount = 0

    private static func grownCapacity(_ count: Int) -> Int {
        var capacity = 16
        while capacity < count { capacity *= 2 }
        return capacity
    }

    /// Frees kept pages until `byteCount` <= `limit` (or none are left to free).
    func trim(to limit: Int) {
        while pages.count > pagesInUse && byteCount > limit {
            pages.removeLast().deallocate()
        }
    }

    /// Forgets every term; keeps pages, and the tables' capacities when they take at most
    /// `tableLimit` bytes (else they start small again, so that a small budget is not filled
    /// by empty tables).
    func reset(tableLimit: Int = .max) {
        pagesInUse = 0
        pageUsed = Self.pageByteCount
        postingCount = 0
        if tableByteCount > tableLimit {
            terms = []
            keyArena = []
            keptTermCount = 0
            keptKeyByteCount = 0
            slots = [Int32](repeating: -1, count: 1 << 12)
            slotMask = (1 << 12) - 1
        } else {
            keptTermCount = max(terms.count, keptTermCount)
            keptKeyByteCount = max(keyArena.count, keptKeyByteCount)
            terms.removeAll(keepingCapacity: true)
            keyArena.removeAll(keepingCapacity: true)
            for i in slots.indices { slots[i] = -1 }
        }
    }

    /// Frees the pages and tables (after the final merge has read them).
    func release() {
        for page in pages { page.deallocate() }
        pages = []
        pagesInUse = 0
        pageUsed = Self.pageByteCount
        terms = []
        keyArena = []
        keptTermCount = 0
        keptKeyByteCount = 0
        slots = [Int32](repeating: -1, count: 16)
        slotMask = 15
    }

    // MARK: - Adding

    /// The term id of `key` (hash `hash`), added if new.
    @inline(__always)
    func termID(key: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            let state = terms[Int(id)]
            if state.hash == hash && Int(state.keyLength) == key.count && keyEquals(state, key) { return Int(id) }
            slot = (slot + 1) & slotMask
        }
        let id = terms.count
        let first = allocateSlice(level: 0)
        terms.append(TermState(hash: hash, keyStart: UInt32(keyArena.count), keyLength: UInt32(key.count),
                               firstAddress: first, writeAddress: first, sliceEnd: first + Self.sliceByteCounts[0] - 4,
                               level: 0, lastDocID: 0, docFreq: 0, positionCount: 0))
        keyArena.append(contentsOf: key)
        slots[slot] = Int32(id)
        if terms.count * 2 > slots.count { growSlots() }
        return id
    }

    @inline(__always)
    private func keyEquals(_ state: TermState, _ key: UnsafeRawBufferPointer) -> Bool {
        keyArena.withUnsafeBytes { arena in
            // Safe: keyStart + keyLength was appended to the arena with the term.
            memcmp(arena.baseAddress! + Int(state.keyStart), key.baseAddress!, key.count) == 0
        }
    }

    private func growSlots() {
        let capacity = slots.count * 2
        slots = [Int32](repeating: -1, count: capacity)
        slotMask = capacity - 1
        for (id, state) in terms.enumerated() {
            var slot = Int(truncatingIfNeeded: state.hash) & slotMask
            while slots[slot] >= 0 { slot = (slot + 1) & slotMask }
            slots[slot] = Int32(id)
        }
    }

    /// Appends one document's posting for `termID`: doc ids must increase per term.
    @inline(__always)
    func addPosting(termID: Int, docID: UInt32, positions: UnsafeBufferPointer<UInt32>) {
        var state = terms[termID]
        write(&state, UInt32(docID &- state.lastDocID))
        write(&state, UInt32(positions.count))
        var previous: UInt32 = 0
        for position in positions {
            write(&state, position &- previous)
            previous = position
        }
        state.lastDocID = docID
        state.docFreq += 1
        state.positionCount &+= UInt32(positions.count)
        terms[termID] = state
        postingCount += 1
    }

    @inline(__always)
    private func write(_ state: inout TermState, _ value: UInt32) {
        var v = value
        while true {
            if state.writeAddress == state.sliceEnd { nextSlice(&state) }
            let byte = UInt8(truncatingIfNeeded: v)
            v >>= 7
            let address = state.writeAddress
            // Safe: writeAddress < sliceEnd, inside a slice of an allocated page.
            pages[Int(address >> UInt32(Self.pageShift))][Int(address & Self.offsetMask)] = v == 0 ? byte & 0x7F : byte | 0x80
            state.writeAddress = address + 1
            if v == 0 { return }
        }
    }

    private func nextSlice(_ state: inout TermState) {
        let level = min(state.level + 1, UInt32(Self.sliceByteCounts.count - 1))
        let address = allocateSlice(level: Int(level))
        let link = state.sliceEnd
        let page = pages[Int(link >> UInt32(Self.pageShift))]
        for i in 0..<4 { page[Int(link & Self.offsetMask) + i] = UInt8(truncatingIfNeeded: address >> UInt32(8 * i)) }
        state.writeAddress = address
        state.sliceEnd = address + Self.sliceByteCounts[Int(level)] - 4
        state.level = level
    }

    private func allocateSlice(level: Int) -> UInt32 {
        let size = Int(Self.sliceByteCounts[level])
        if pageUsed + size > Self.pageByteCount {
            if pagesInUse == pages.count {
                precondition(pages.count < 1 << (32 - Self.pageShift), "postings pool over 4 GiB: the writer spills long before")
                pages.append(UnsafeMutablePointer<UInt8>.allocate(capacity: Self.pageByteCount))
            }
            pagesInUse += 1
            pageUsed = 0
        }
        let address = UInt32((pagesInUse - 1) << Self.pageShift | pageUsed)
        pageUsed += size
        return address
    }

    // MARK: - Reading back

    /// Lends the term's key bytes to `body`. - Warning: do not escape the pointer.
    func withKey<R>(_ termID: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let state = terms[termID]
        return try keyArena.withUnsafeBytes { arena in
            try body(UnsafeRawBufferPointer(rebasing: arena[Int(state.keyStart)..<Int(state.keyStart + state.keyLength)]))
        }
    }

    /// Appends the term's postings stream (see the type's comment) to `out`.
    func copyPostings(_ termID: Int, into out: inout [UInt8]) {
        let state = terms[termID]
        var address = state.firstAddress
        var level = 0
        while true {
            let dataEnd = address + Self.sliceByteCounts[level] - 4
            let page = pages[Int(address >> UInt32(Self.pageShift))]
            let start = Int(address & Self.offsetMask)
            if state.writeAddress >= address && state.writeAddress <= dataEnd {
                out.append(contentsOf: UnsafeBufferPointer(start: page + start, count: Int(state.writeAddress - address)))
                return
            }
            out.append(contentsOf: UnsafeBufferPointer(start: page + start, count: Int(dataEnd - address)))
            let linkOffset = Int(dataEnd & Self.offsetMask)
            var next: UInt32 = 0
            for i in 0..<4 { next |= UInt32(page[linkOffset + i]) << UInt32(8 * i) }
            address = next
            level = min(level + 1, Self.sliceByteCounts.count - 1)
        }
    }

    /// Term ids in key byte order (the order of the terms file and of run files).
    func sortedTermIDs() -> [Int32] {
        struct Entry { var prefix: UInt64; var id: Int32 }
        var entries = [Entry]()
        entries.reserveCapacity(terms.count)
        keyArena.withUnsafeBytes { arena in
            for (id, state) in terms.enumerated() {
                var prefix: UInt64 = 0
                let n = min(8, Int(state.keyLength))
                for i in 0..<n { prefix |= UInt64(arena[Int(state.keyStart) + i]) << UInt64(56 - 8 * i) }
                entries.append(Entry(prefix: prefix, id: Int32(id)))
            }
        }
        let states = self.terms
        keyArena.withUnsafeBytes { arena in
            entries.sort { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                let x = states[Int(a.id)], y = states[Int(b.id)]
                let common = Int(min(x.keyLength, y.keyLength))
                let c = memcmp(arena.baseAddress! + Int(x.keyStart), arena.baseAddress! + Int(y.keyStart), common)
                if c != 0 { return c < 0 }
                return x.keyLength < y.keyLength
            }
        }
        return entries.map(\.id)
    }
}

#if canImport(Glibc)
import Glibc
#endif

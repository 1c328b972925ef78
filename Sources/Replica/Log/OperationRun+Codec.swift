/// The transport encoding of runs (sync batches and bundles).
///
/// It is a lossless transform of each operation's payload: the receiver rebuilds exactly the
/// bytes the origin hashed and signed. What repeats is not sent again:
/// - 128-bit ids (origins, records, replaced writes' origins) travel inline once per stream and
///   are then named by their distance back in a window of the last `IDWindow.capacity` inline
///   ids, which encoder and decoder keep in step (a stream is one session direction or one
///   bundle). Distances stay meaningful for any suffix of a stream, so a frame encoded on its
///   own decodes the same in the middle of a stream;
/// - the author, which a run names only where it changes;
/// - which entries carry a signature (a bulk write signs once per commit), listed once per run;
/// - the payload length, the body tag of a set, its field code when under 16, a clock one tick
///   after the previous entry's, and the replaced write's origin when it is the run's own,
///   which go into one header byte per entry.
///
/// Run: `id-ref origin`, `varint firstSeq`, `varint count`, the signed entries (`varint n ≥ 1`,
/// then each one's index as `varint gap`: the first index, then the distance from the previous
/// one minus one; the last entry is always signed), the author changes (`varint n`, then
/// `varint gap, data author` each, indexed alike; the author is empty before the first), then
/// the entries. Entry: `u8 header`, `varint clock delta` unless the header says it is 1, the
/// body by form, then 64 signature bytes when the entry is signed.
///
/// Header of a set (bit 7 set): bit 6 clock delta 1, bits 4–5 replaced writes (0 none, 1 one
/// write of the run's origin given as `varint seq distance − 1`, 2 `varint count ≥ 1` then
/// `id-ref origin, varint seq` each), bits 0–3 the field code 1–15, or 0 for a `u8` field code
/// (0 or 16–255) after the record. Body: `id-ref record`, [`u8 field`], `data value`, the
/// replaced writes. Header of any other entry (bit 7 clear): bit 6 clock delta 1, bits 0–1
/// form (0 the raw payload as `data`, 2 another record body as `id-ref record, u8 tag, data`
/// of the bytes after the record id), bits 2–5 zero. An `id-ref` is `varint 0` + 16 bytes
/// inline, or `varint d + 1` for the id `d` places back in the window. Every number has one
/// encoding: where a header bit or field nibble can say it, the long form is refused.
extension OperationRun {
    /// The sending side of a stream of runs: the ids it sent inline, by position.
    package struct EncodingContext: Sendable {
        private var window = IDWindow()
        private var positions = IDPositions()

        package init() {}

        mutating func write(_ id: ID128, into w: inout BinaryWriter) {
            if let p = positions.position(of: id), window.count - p <= UInt64(IDWindow.capacity) {
                w.varint(window.count - p)
                return
            }
            w.varint(0)
            w.id(id)
            // The id pushed out of the window is forgotten unless it was sent again since.
            if let evicted = window.append(id) {
                positions.remove(evicted, ifAt: window.count - 1 - UInt64(IDWindow.capacity))
            }
            positions.set(id, position: window.count - 1)
        }
    }

    /// The receiving side of a stream of runs.
    package struct DecodingContext: Sendable {
        private var window = IDWindow()

        package init() {}

        mutating func read(_ r: inout BinaryReader) throws -> ID128 {
            let ref = try r.varint()
            if ref == 0 {
                let id = try r.id()
                window.append(id)
                return id
            }
            guard let id = window.back(ref - 1) else { throw CodecError.malformed("id reference \(ref) points before the start of the stream") }
            return id
        }
    }

    /// Header bits (see the type's comment).
    private enum Header {
        static let set: UInt8 = 0x80
        static let clockStep: UInt8 = 0x40
        static let replaceShift: UInt8 = 4
        static let fieldMask: UInt8 = 0x0F
        static let formMask: UInt8 = 0x03
        static let rawForm: UInt8 = 0
        static let recordForm: UInt8 = 2
    }

    package func encode(into w: inout BinaryWriter) {
        var context = EncodingContext()
        encode(into: &w, context: &context)
    }

    package func encode(into w: inout BinaryWriter, context: inout EncodingContext) {
        context.write(origin, into: &w)
        w.varint(firstSeq)
        w.varint(UInt64(entries.count))
        let bodies = entries.map { CompactBody(parsing: $0.payload) }
        Self.writeIndices(entries.indices.filter { entries[$0].signature != nil }, into: &w)
        var changes: [(Int, ArraySlice<UInt8>)] = []
        var author: ArraySlice<UInt8> = []
        for (i, body) in bodies.enumerated() {
            guard let body, !entries[i].payload[body.author].elementsEqual(author) else { continue }
            author = entries[i].payload[body.author]
            changes.append((i, author))
        }
        Self.writeIndices(changes.map(\.0), into: &w) { n, w in w.data(changes[n].1) }
        var previousClock: UInt64 = 0
        for (i, e) in entries.enumerated() {
            // Clocks rise strictly within an origin, so a delta is small; in a bulk write it is 1.
            let delta = e.hlc.raw &- previousClock
            previousClock = e.hlc.raw
            let clock: UInt8 = delta == 1 ? Header.clockStep : 0
            if let body = bodies[i], body.tag == .set {
                let seq = firstSeq &+ UInt64(i)
                var replaceForm: UInt8 = 0
                if let first = body.firstReplaced {
                    replaceForm = body.moreReplaced.isEmpty && first.origin == origin && first.seq < seq ? 1 : 2
                }
                let nibble = body.field <= Header.fieldMask ? body.field : 0
                w.u8(Header.set | clock | replaceForm << Header.replaceShift | nibble)
                if clock == 0 { w.varint(delta) }
                context.write(body.record, into: &w)
                if nibble == 0 { w.u8(body.field) }
                w.data(e.payload[body.rest])
                if replaceForm == 1, let first = body.firstReplaced {
                    w.varint(seq - first.seq - 1)
                } else if replaceForm == 2, let first = body.firstReplaced {
                    w.varint(UInt64(1 + body.moreReplaced.count))
                    for p in CollectionOfOne(first) + body.moreReplaced {
                        context.write(p.origin, into: &w)
                        w.varint(p.seq)
                    }
                }
            } else if let body = bodies[i] {
                w.u8(Header.recordForm | clock)
                if clock == 0 { w.varint(delta) }
                context.write(body.record, into: &w)
                w.u8(body.tag.rawValue)
                w.data(e.payload[body.rest])
            } else {
                w.u8(Header.rawForm | clock)
                if clock == 0 { w.varint(delta) }
                w.data(e.payload)
            }
            if let s = e.signature { w.raw(s) }
        }
    }

    /// Ascending entry indices as `varint n`, then gaps (the first index, then each distance
    /// from the previous minus one), each followed by what `item` writes for it.
    private static func writeIndices(_ indices: [Int], into w: inout BinaryWriter, item: (Int, inout BinaryWriter) -> Void = { _, _ in }) {
        w.varint(UInt64(indices.count))
        var next = 0
        for (n, i) in indices.enumerated() {
            w.varint(UInt64(i - next))
            next = i + 1
            item(n, &w)
        }
    }

    /// Reads what `writeIndices` wrote for a run of `count` entries: the indices ascending and
    /// below `count`, at least `minimum` of them, each followed by what `item` reads. A list is
    /// refused before anything is allocated when the input cannot hold it (`bytesEach` a piece).
    private static func readIndices(_ r: inout BinaryReader, count: UInt64, minimum: UInt64, bytesEach: Int,
                                    item: (inout BinaryReader) throws -> Void = { _ in }) throws -> [Int] {
        let n = try r.varint()
        guard n >= minimum, n <= count, n <= UInt64(r.remaining / bytesEach) else { throw CodecError.malformed("a run lists \(n) of its \(count) entries") }
        var indices: [Int] = []
        indices.reserveCapacity(Int(n))
        var next: UInt64 = 0
        for _ in 0..<n {
            let gap = try r.varint()
            guard gap < count - next else { throw CodecError.malformed("an entry index past the end of its run") }
            indices.append(Int(next + gap))
            next += gap + 1
            try item(&r)
        }
        return indices
    }

    package static func decode(from r: inout BinaryReader) throws -> OperationRun {
        var context = DecodingContext()
        return try decode(from: &r, context: &context)
    }

    package static func decode(from r: inout BinaryReader, context: inout DecodingContext) throws -> OperationRun {
        let origin = try context.read(&r)
        let (first, count) = try readRange(&r)
        // Signatures are 64 bytes each; an author change takes at least 2.
        let signed = try readIndices(&r, count: count, minimum: 1, bytesEach: 65)
        guard signed.last == Int(count - 1) else { throw CodecError.malformed("run of origin \(origin.short) ends without a signature") }
        var authors: [[UInt8]] = []
        let changes = try readIndices(&r, count: count, minimum: 0, bytesEach: 2) { authors.append(try $0.data(limit: OperationPayload.maxAuthor)) }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var previousClock: UInt64 = 0
        var author: [UInt8] = []
        var nextSigned = signed.startIndex
        var nextChange = changes.startIndex
        for i in 0..<Int(count) {
            if nextChange < changes.endIndex, changes[nextChange] == i {
                author = authors[nextChange]
                nextChange += 1
            }
            let header = try r.u8()
            let hlc = try readClock(&r, step: header & Header.clockStep != 0, previous: &previousClock, first: i == 0)
            let payload: [UInt8]
            if header & Header.set != 0 {
                payload = try readSet(&r, header: header, author: author, origin: origin, seq: first + UInt64(i), context: &context)
            } else {
                guard header & ~(Header.clockStep | Header.formMask) == 0 else { throw CodecError.malformed("bad entry header \(header)") }
                switch header & Header.formMask {
                case Header.rawForm:
                    payload = try r.data(limit: Operation.maxPayload)
                case Header.recordForm:
                    let record = try context.read(&r)
                    let code = try r.u8()
                    guard let tag = OperationTag(rawValue: code), CompactBody.hasRecordForm(tag) else {
                        throw CodecError.malformed("operation type \(code) has no compact form")
                    }
                    var w = BinaryWriter(capacity: 80)
                    OperationPayload.writeHead(author: author, tag: tag, record: record, into: &w)
                    w.raw(try r.dataSlice(limit: Operation.maxPayload))
                    payload = try checked(w.bytes)
                default:
                    throw CodecError.malformed("bad entry header \(header)")
                }
            }
            var signature: [UInt8]?
            if nextSigned < signed.endIndex, signed[nextSigned] == i {
                signature = Array(try r.raw(64))
                nextSigned += 1
            }
            entries.append(Entry(hlc: HLC(raw: hlc), payload: payload, signature: signature))
        }
        return OperationRun(origin: origin, firstSeq: first, entries: entries)
    }

    /// A set entry's body after its header, rebuilt into the payload the origin signed.
    private static func readSet(_ r: inout BinaryReader, header: UInt8, author: [UInt8], origin: OriginID, seq: UInt64,
                                context: inout DecodingContext) throws -> [UInt8] {
        let replaceForm = header >> Header.replaceShift & 3
        guard replaceForm != 3 else { throw CodecError.malformed("bad entry header \(header)") }
        let record = try context.read(&r)
        var field = header & Header.fieldMask
        if field == 0 {
            field = try r.u8()
            guard field == 0 || field > Header.fieldMask else { throw CodecError.malformed("field code \(field) given in full") }
        }
        let value = try r.dataSlice(limit: Operation.maxPayload)
        // The payload is written as the replaced writes are read, without a list of them.
        var w = BinaryWriter(capacity: 80 + value.count)
        OperationPayload.writeHead(author: author, tag: .set, record: record, into: &w)
        switch replaceForm {
        case 0:
            OperationPayload.writeSetTailHead(field: field, value: value, replaceCount: 0, into: &w)
        case 1:
            let distance = try r.varint()
            guard distance < seq else { throw CodecError.malformed("replaced write \(distance + 1) back from seq \(seq)") }
            OperationPayload.writeSetTailHead(field: field, value: value, replaceCount: 1, into: &w)
            OperationPayload.writeReplaced(OpID(origin: origin, seq: seq - distance - 1), into: &w)
        default:
            let n = try r.varint()
            guard n >= 1, n <= UInt64(OperationPayload.maxReplaces) else { throw CodecError.malformed("\(n) replaced writes is out of range") }
            OperationPayload.writeSetTailHead(field: field, value: value, replaceCount: Int(n), into: &w)
            for _ in 0..<n { OperationPayload.writeReplaced(OpID(origin: try context.read(&r), seq: try r.varint()), into: &w) }
        }
        return try checked(w.bytes)
    }

    private static func checked(_ payload: [UInt8]) throws -> [UInt8] {
        guard payload.count <= Operation.maxPayload else { throw CodecError.malformed("operation payload of \(payload.count) bytes is too large") }
        return payload
    }

    /// The first seq and the entry count, refused when out of range or when the input cannot
    /// hold that many entries (each takes at least 2 bytes), before anything is allocated.
    private static func readRange(_ r: inout BinaryReader) throws -> (UInt64, UInt64) {
        let first = try r.varint()
        guard first >= 1 else { throw CodecError.malformed("a run starts at seq 0") }
        let count = try r.varint()
        guard count >= 1, count <= UInt64(maxEntries) else { throw CodecError.malformed("run of \(count) operations is out of range") }
        guard count <= UInt64(r.remaining / 2) else { throw CodecError.truncated(at: r.offset) }
        let (_, overflow) = first.addingReportingOverflow(count)
        guard !overflow, first + count < UInt64(Int64.max) else { throw CodecError.malformed("seq out of range") }
        return (first, count)
    }

    private static func readClock(_ r: inout BinaryReader, step: Bool, previous: inout UInt64, first: Bool) throws -> UInt64 {
        let delta = step ? 1 : try r.varint()
        guard step || delta != 1 else { throw CodecError.malformed("a clock step of 1 given in full") }
        guard delta > 0 || first else { throw CodecError.malformed("clock does not rise within the run") }
        let (hlc, overflow) = previous.addingReportingOverflow(delta)
        guard !overflow, hlc >> 63 == 0 else { throw CodecError.malformed("clock out of range") }
        previous = hlc
        return hlc
    }
}

/// The last `capacity` ids sent inline in a stream, oldest overwritten first.
struct IDWindow: Sendable {
    /// Enough for the records of a court's busiest years, in 2 MiB on each side.
    static let capacity = 1 << 17
    private var ring: [ID128] = []
    /// Ids appended so far.
    private(set) var count: UInt64 = 0

    /// Appends `id`; returns the id it pushed out of the window, if any.
    @discardableResult
    mutating func append(_ id: ID128) -> ID128? {
        defer { count += 1 }
        if ring.count < Self.capacity {
            ring.append(id)
            return nil
        }
        let slot = Int(count % UInt64(Self.capacity))
        let evicted = ring[slot]
        ring[slot] = id
        return evicted
    }

    /// The id `distance` places back from the newest (0 is the newest), if still in the window.
    func back(_ distance: UInt64) -> ID128? {
        guard distance < UInt64(ring.count) else { return nil }
        return ring[Int((count - 1 - distance) % UInt64(Self.capacity))]
    }
}

/// A payload split into the parts the compact forms carry, when it has one of their shapes
/// (read with `OperationPayload`): a record body other than a set, whose bytes after the record
/// id go as they are, or a set, which must end after its replaced writes. Rebuilding from the
/// parts gives the same bytes (varints are read in their one shortest form).
struct CompactBody {
    /// Record bodies other than a set: the bytes after their record id travel as they are.
    static func hasRecordForm(_ tag: OperationTag) -> Bool { tag.isRecordBody && tag != .set }

    var author: Range<Int>
    var tag: OperationTag
    var record: ID128
    var field: UInt8 = 0
    /// A set's value, or the bytes after the record id of another record body.
    var rest: Range<Int>
    /// The writes a set replaces: the first (most sets replace one, their field's last write),
    /// then any others, so that the common case allocates nothing.
    var firstReplaced: OpID?
    var moreReplaced: [OpID] = []

    init?(parsing payload: [UInt8]) {
        var r = BinaryReader(payload)
        guard let head = try? OperationPayload.readHead(&r), head.tag.isRecordBody, let record = try? r.id() else { return nil }
        author = head.author
        tag = head.tag
        self.record = record
        guard tag == .set else {
            rest = r.offset..<payload.count
            return
        }
        guard let tail = try? OperationPayload.readSetTailHead(&r) else { return nil }
        field = tail.field
        rest = tail.value
        for n in 0..<tail.replaceCount {
            guard let p = try? OperationPayload.readReplaced(&r) else { return nil }
            if n == 0 { firstReplaced = p } else { moreReplaced.append(p) }
        }
        guard r.isAtEnd else { return nil }
    }
}

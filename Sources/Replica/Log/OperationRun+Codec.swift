/// The transport encoding of runs (sync batches and bundles).
///
/// It is a lossless transform of each operation's payload: the receiver rebuilds exactly the
/// bytes the origin hashed and signed. What repeats is not sent again:
/// - 128-bit ids (origins, records, replaced writes' origins) travel inline once per stream and
///   are then named by their distance back in a window of the last `IDWindow.capacity` inline
///   ids, which encoder and decoder keep in step (a stream is one session direction or one
///   bundle). Distances stay meaningful for any suffix of a stream, so a frame encoded on its
///   own decodes the same in the middle of a stream;
/// - the author, when it is the previous entry's;
/// - the payload length, the body tag of a set, the replaced write's origin when it is the
///   run's own, and the signature flag, which go into one header byte per entry.
///
/// Run: `id-ref origin`, `varint firstSeq`, `varint count`, entries. Entry: `u8 header`,
/// `varint clock delta`, the body by form, then 64 signature bytes when the header says so.
/// Header bits: 0–1 form (0 raw payload, 1 set, 2 other record body), 2 signed, 3 same author
/// as the previous entry, 4–5 replaced writes of a set (0 none, 1 one write of the run's origin
/// given as `varint seq distance − 1`, 2 `varint count ≥ 1` then `id-ref origin, varint seq`
/// each), 6–7 zero. An `id-ref` is `varint 0` + 16 bytes inline, or `varint d + 1` for the id
/// `d` places back in the window.
extension OperationRun {
    /// The sending side of a stream of runs: the ids it sent inline, by position.
    package struct EncodingContext: Sendable {
        private var window = IDWindow()
        private var positions: [ID128: UInt64] = [:]

        package init() {}

        mutating func write(_ id: ID128, into w: inout BinaryWriter) {
            if let p = positions[id], window.count - p <= UInt64(IDWindow.capacity) {
                w.varint(window.count - p)
                return
            }
            w.varint(0)
            w.id(id)
            if let evicted = window.append(id), positions[evicted] == window.count - 1 - UInt64(IDWindow.capacity) {
                positions[evicted] = nil
            }
            positions[id] = window.count - 1
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

    package func encode(into w: inout BinaryWriter) {
        var context = EncodingContext()
        encode(into: &w, context: &context)
    }

    package func encode(into w: inout BinaryWriter, context: inout EncodingContext) {
        context.write(origin, into: &w)
        w.varint(firstSeq)
        w.varint(UInt64(entries.count))
        var previousClock: UInt64 = 0
        var previousAuthor: ArraySlice<UInt8> = []
        for (i, e) in entries.enumerated() {
            let signed: UInt8 = e.signature == nil ? 0 : 4
            // Clocks rise strictly within an origin, so a delta is small.
            let delta = e.hlc.raw &- previousClock
            previousClock = e.hlc.raw
            if let body = CompactBody(parsing: e.payload) {
                let seq = firstSeq &+ UInt64(i)
                let author = e.payload[body.author]
                let sameAuthor: UInt8 = author.elementsEqual(previousAuthor) ? 8 : 0
                previousAuthor = author
                var replaceForm: UInt8 = 0
                if body.tag == .set, !body.replaces.isEmpty {
                    replaceForm = body.replaces.count == 1 && body.replaces[0].origin == origin && body.replaces[0].seq < seq ? 1 : 2
                }
                w.u8((body.tag == .set ? 1 : 2) | signed | sameAuthor | replaceForm << 4)
                w.varint(delta)
                if sameAuthor == 0 { w.data(author) }
                context.write(body.record, into: &w)
                if body.tag == .set {
                    w.u8(body.field)
                    w.data(e.payload[body.rest])
                    if replaceForm == 1 {
                        w.varint(seq - body.replaces[0].seq - 1)
                    } else if replaceForm == 2 {
                        w.varint(UInt64(body.replaces.count))
                        for p in body.replaces {
                            context.write(p.origin, into: &w)
                            w.varint(p.seq)
                        }
                    }
                } else {
                    w.u8(body.tag.rawValue)
                    w.data(e.payload[body.rest])
                }
            } else {
                w.u8(signed)
                w.varint(delta)
                w.data(e.payload)
            }
            if let s = e.signature { w.raw(s) }
        }
    }

    package static func decode(from r: inout BinaryReader) throws -> OperationRun {
        var context = DecodingContext()
        return try decode(from: &r, context: &context)
    }

    package static func decode(from r: inout BinaryReader, context: inout DecodingContext) throws -> OperationRun {
        let origin = try context.read(&r)
        let (first, count) = try readRange(&r)
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var previousClock: UInt64 = 0
        var previousAuthor: [UInt8] = []
        for i in 0..<count {
            let header = try r.u8()
            let form = header & 3
            let sameAuthor = header & 8 != 0
            let replaceForm = header >> 4 & 3
            guard header & 0xC0 == 0, form != 3, replaceForm != 3, form == 1 || replaceForm == 0, form != 0 || !sameAuthor else {
                throw CodecError.malformed("bad entry header \(header)")
            }
            let hlc = try readClock(&r, previous: &previousClock, first: entries.isEmpty)
            let payload: [UInt8]
            if form == 0 {
                payload = try r.data(limit: Operation.maxPayload)
            } else {
                var w = BinaryWriter(capacity: 80)
                if !sameAuthor { previousAuthor = try r.data(limit: Operation.maxPayload) }
                let record = try context.read(&r)
                if form == 1 {
                    OperationPayload.writeHead(author: previousAuthor, tag: .set, record: record, into: &w)
                    let field = try r.u8()
                    let value = try r.dataSlice(limit: Operation.maxPayload)
                    var replaces: [OpID] = []
                    switch replaceForm {
                    case 0:
                        break
                    case 1:
                        let seq = first + i
                        let distance = try r.varint()
                        guard distance < seq else { throw CodecError.malformed("replaced write \(distance + 1) back from seq \(seq)") }
                        replaces = [OpID(origin: origin, seq: seq - distance - 1)]
                    default:
                        let n = try r.varint()
                        guard n >= 1, n <= UInt64(OperationPayload.maxReplaces) else { throw CodecError.malformed("\(n) replaced writes is out of range") }
                        for _ in 0..<n { replaces.append(OpID(origin: try context.read(&r), seq: try r.varint())) }
                    }
                    OperationPayload.writeSetTail(field: field, value: value, replaces: replaces, into: &w)
                } else {
                    let code = try r.u8()
                    guard let tag = OperationTag(rawValue: code), CompactBody.hasRecordForm(tag) else {
                        throw CodecError.malformed("operation type \(code) has no compact form")
                    }
                    OperationPayload.writeHead(author: previousAuthor, tag: tag, record: record, into: &w)
                    w.raw(try r.dataSlice(limit: Operation.maxPayload))
                }
                guard w.bytes.count <= Operation.maxPayload else { throw CodecError.malformed("operation payload of \(w.bytes.count) bytes is too large") }
                payload = w.bytes
            }
            let signature = header & 4 != 0 ? Array(try r.raw(64)) : nil
            entries.append(Entry(hlc: HLC(raw: hlc), payload: payload, signature: signature))
        }
        guard entries.last?.signature != nil else { throw CodecError.malformed("run of origin \(origin.short) ends without a signature") }
        return OperationRun(origin: origin, firstSeq: first, entries: entries)
    }

    /// The first seq and the entry count, refused when out of range or when the input cannot
    /// hold that many entries (each takes at least 3 bytes), before anything is allocated.
    private static func readRange(_ r: inout BinaryReader) throws -> (UInt64, UInt64) {
        let first = try r.varint()
        guard first >= 1 else { throw CodecError.malformed("a run starts at seq 0") }
        let count = try r.varint()
        guard count >= 1, count <= UInt64(maxEntries) else { throw CodecError.malformed("run of \(count) operations is out of range") }
        guard count <= UInt64(r.remaining / 3) else { throw CodecError.truncated(at: r.offset) }
        let (_, overflow) = first.addingReportingOverflow(count)
        guard !overflow, first + count < UInt64(Int64.max) else { throw CodecError.malformed("seq out of range") }
        return (first, count)
    }

    private static func readClock(_ r: inout BinaryReader, previous: inout UInt64, first: Bool) throws -> UInt64 {
        let delta = try r.varint()
        guard delta > 0 || first else { throw CodecError.malformed("clock does not rise within the run") }
        let (hlc, overflow) = previous.addingReportingOverflow(delta)
        guard !overflow, hlc >> 63 == 0 else { throw CodecError.malformed("clock out of range") }
        previous = hlc
        return hlc
    }
}

/// The last `capacity` ids sent inline in a stream, oldest overwritten first.
struct IDWindow: Sendable {
    static let capacity = 1 << 16
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
    var replaces: [OpID] = []

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
        guard let tail = try? OperationPayload.readSetTail(&r), r.isAtEnd else { return nil }
        field = tail.field
        rest = tail.value
        replaces = tail.replaces
    }
}

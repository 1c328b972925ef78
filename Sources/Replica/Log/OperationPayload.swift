/// The one definition of an operation payload's layout, which the origin hashes and signs and
/// the log stores as is:
///
///     string author | u8 tag | body
///
/// A record body (create, set, step, comment, archive) starts with the record's 16-byte id; a
/// set's goes on `u8 field | data value | varint n | (id origin, varint seq) × n`. The other
/// bodies are in `Operation.encodePayload`. `Operation` builds and reads payloads whole; the run
/// codec (`OperationRun+Codec`) sends record bodies in parts and rebuilds them, with these same
/// functions, so the two cannot drift apart.
enum OperationTag: UInt8, Sendable {
    case genesis = 1, create, set, step, comment, archive, enroll, revoke
    /// Tags 9–15 are left to other operation kinds.
    case flow = 16
    /// Court data the admin keeps (`CourtSetting`).
    case setting = 17

    /// Bodies whose first field is the record id.
    var isRecordBody: Bool {
        switch self {
        case .create, .set, .step, .comment, .archive: true
        case .genesis, .enroll, .revoke, .flow, .setting: false
        }
    }
}

enum OperationPayload {
    /// Author and tag, then the record id of a record body.
    static func writeHead(author: some Collection<UInt8>, tag: OperationTag, record: RecordID?, into w: inout BinaryWriter) {
        w.data(author)
        w.u8(tag.rawValue)
        if let record { w.id(record) }
    }

    /// Most bytes of an author's name.
    static let maxAuthor = 256

    /// Where the author's bytes are, and the tag (refused when unknown).
    static func readHead(_ r: inout BinaryReader) throws -> (author: Range<Int>, tag: OperationTag) {
        let author = try r.dataSlice(limit: maxAuthor).indices
        let code = try r.u8()
        guard let tag = OperationTag(rawValue: code) else { throw CodecError.malformed("unknown operation type \(code)") }
        return (author, tag)
    }

    /// Most writes a set may name as replaced.
    static let maxReplaces = 64

    /// A set's body after its record id.
    static func writeSetTail(field: UInt8, value: some Collection<UInt8>, replaces: [OpID], into w: inout BinaryWriter) {
        writeSetTailHead(field: field, value: value, replaceCount: replaces.count, into: &w)
        for p in replaces { writeReplaced(p, into: &w) }
    }

    /// A set's body after its record id up to its replaced writes, which the caller then writes,
    /// `replaceCount` of them, with `writeReplaced`.
    static func writeSetTailHead(field: UInt8, value: some Collection<UInt8>, replaceCount: Int, into w: inout BinaryWriter) {
        w.u8(field)
        w.data(value)
        w.varint(UInt64(replaceCount))
    }

    /// One replaced write of a set's tail.
    static func writeReplaced(_ p: OpID, into w: inout BinaryWriter) {
        w.id(p.origin)
        w.varint(p.seq)
    }

    /// A set's body after its record id: the field code, where the value's bytes are, and the
    /// writes it replaces.
    static func readSetTail(_ r: inout BinaryReader) throws -> (field: UInt8, value: Range<Int>, replaces: [OpID]) {
        let head = try readSetTailHead(&r)
        var replaces: [OpID] = []
        for _ in 0..<head.replaceCount { replaces.append(try readReplaced(&r)) }
        return (head.field, head.value, replaces)
    }

    /// A set's body after its record id up to its replaced writes: the field code, where the
    /// value's bytes are, and how many writes follow (each read with `readReplaced`). Nothing is
    /// allocated, for readers that take the writes one at a time (the run codec).
    static func readSetTailHead(_ r: inout BinaryReader) throws -> (field: UInt8, value: Range<Int>, replaceCount: Int) {
        let field = try r.u8()
        let value = try r.dataSlice(limit: 16 * 1024).indices
        let count = try r.varint()
        guard count <= UInt64(maxReplaces) else { throw CodecError.malformed("too many replaced writes") }
        return (field, value, Int(count))
    }

    /// One replaced write of a set's tail.
    static func readReplaced(_ r: inout BinaryReader) throws -> OpID { OpID(origin: try r.id(), seq: try r.varint()) }
}

import Foundation

/// The identity an origin log starts with: the node that writes it and its public key.
public struct Genesis: Sendable, Equatable {
    public var node: NodeID
    public var publicKey: [UInt8]
    public var name: String
    public var role: Role
    public var court: String
    /// The origin this one continues after a restore or copy, if any.
    public var predecessor: OriginID?

    public init(node: NodeID, publicKey: [UInt8], name: String, role: Role, court: String, predecessor: OriginID?) {
        self.node = node
        self.publicKey = publicKey
        self.name = name
        self.role = role
        self.court = court
        self.predecessor = predecessor
    }
}

/// A node the court admin enrolled: who it is, its role, the key its operations are signed with.
public struct Member: Sendable, Equatable {
    public var node: NodeID
    public var publicKey: [UInt8]
    public var name: String
    public var role: Role

    public init(node: NodeID, publicKey: [UInt8], name: String, role: Role) {
        self.node = node
        self.publicKey = publicKey
        self.name = name
        self.role = role
    }
}

/// A branch answer at an SOP decision.
public enum Branch: String, Sendable, Equatable, CaseIterable {
    case ya
    case tidak
}

/// What an operation does.
public enum OperationBody: Sendable, Equatable {
    /// The first operation of every origin log.
    case genesis(Genesis)
    case create(record: RecordID, kind: RecordKind, sop: String, fields: [FieldValue])
    /// Sets a field; `replaces` names the writes the author saw as the current value.
    case set(record: RecordID, field: Field, value: String, replaces: [OpID])
    case step(record: RecordID, step: Int, branch: Branch?, note: String)
    case comment(record: RecordID, text: String)
    case archive(record: RecordID)
    /// The court admin enrolls a node (membership is replicated data).
    case enroll(Member)
    /// The court admin revokes a node; its operations beyond `keep` (per origin) are refused.
    case revoke(node: NodeID, keep: [OpID])
    /// The court admin adopts, revises or retires a flow of the court's SOP book.
    case flow(FlowRevision)
    /// The court admin sets a piece of court data: calendar, time zone, schedules.
    case setting(CourtSetting)

    public var record: RecordID? {
        switch self {
        case .genesis, .enroll, .revoke, .flow, .setting: nil
        case .create(let r, _, _, _), .set(let r, _, _, _), .step(let r, _, _, _), .comment(let r, _), .archive(let r): r
        }
    }

    var tag: OperationTag {
        switch self {
        case .genesis: .genesis
        case .create: .create
        case .set: .set
        case .step: .step
        case .comment: .comment
        case .archive: .archive
        case .enroll: .enroll
        case .revoke: .revoke
        case .flow: .flow
        case .setting: .setting
        }
    }

    public var kindName: String {
        switch self {
        case .genesis: "genesis"
        case .create: "create"
        case .set: "set"
        case .step: "step"
        case .comment: "comment"
        case .archive: "archive"
        case .enroll: "enroll"
        case .revoke: "revoke"
        case .flow: "flow"
        case .setting: "setting"
        }
    }
}

public struct FieldValue: Sendable, Equatable {
    public var field: Field
    public var value: String

    public init(_ field: Field, _ value: String) {
        self.field = field
        self.value = value
    }
}

/// One immutable operation of an origin's log.
public struct Operation: Sendable, Equatable {
    public var origin: OriginID
    public var seq: UInt64
    public var hlc: HLC
    /// The person who did it (the desk user); empty means the node's own name.
    public var author: String
    public var body: OperationBody

    public init(origin: OriginID, seq: UInt64, hlc: HLC, author: String, body: OperationBody) {
        self.origin = origin
        self.seq = seq
        self.hlc = hlc
        self.author = author
        self.body = body
    }

    public var id: OpID { OpID(origin: origin, seq: seq) }
}

// MARK: - Encoding

extension Operation {
    /// The format version written in every canonical encoding.
    static let formatVersion: UInt8 = 1
    /// Largest accepted payload: far above any real operation, small enough to bound memory.
    static let maxPayload = 64 * 1024

    /// The payload: author and body. Stored in the log as is; travels on the wire as is.
    public func encodePayload() -> [UInt8] {
        var w = BinaryWriter(capacity: 64)
        encodePayload(into: &w)
        return w.bytes
    }

    func encodePayload(into w: inout BinaryWriter) {
        OperationPayload.writeHead(author: author.utf8, tag: body.tag, record: body.record, into: &w)
        switch body {
        case .genesis(let g):
            w.id(g.node)
            w.data(g.publicKey)
            w.string(g.name)
            w.string(g.role.rawValue)
            w.string(g.court)
            if let p = g.predecessor {
                w.u8(1)
                w.id(p)
            } else {
                w.u8(0)
            }
        case .create(_, let kind, let sop, let fields):
            w.u8(kind.code)
            w.string(sop)
            w.varint(UInt64(fields.count))
            for f in fields {
                w.u8(f.field.rawValue)
                w.string(f.value)
            }
        case .set(_, let field, let value, let replaces):
            OperationPayload.writeSetTail(field: field.rawValue, value: value.utf8, replaces: replaces, into: &w)
        case .step(_, let step, let branch, let note):
            w.varint(UInt64(step))
            w.u8(branch == .ya ? 1 : branch == .tidak ? 2 : 0)
            w.string(note)
        case .comment(_, let text):
            w.string(text)
        case .archive:
            break
        case .enroll(let m):
            w.id(m.node)
            w.data(m.publicKey)
            w.string(m.name)
            w.string(m.role.rawValue)
        case .revoke(let node, let keep):
            w.id(node)
            w.varint(UInt64(keep.count))
            for k in keep {
                w.id(k.origin)
                w.varint(k.seq)
            }
        case .flow(let f):
            f.encode(into: &w)
        case .setting(let s):
            s.encode(into: &w)
        }
    }

    /// A node id, its 32-byte public key, a name and a role: shared by genesis and enroll bodies.
    private static func readNodeIdentity(_ r: inout BinaryReader) throws -> (NodeID, [UInt8], String, Role) {
        let node = try r.id()
        let key = try r.data(limit: 64)
        guard key.count == 32 else { throw CodecError.malformed("public key must be 32 bytes") }
        let name = try r.string(limit: 256)
        let roleName = try r.string(limit: 64)
        guard let role = Role(rawValue: roleName) else { throw CodecError.malformed("unknown role '\(roleName)'") }
        return (node, key, name, role)
    }

    /// Decodes a payload; throws on anything malformed, unknown or oversized.
    public static func decode(origin: OriginID, seq: UInt64, hlc: HLC, payload: some Collection<UInt8>) throws -> Operation {
        let bytes = Array(payload)
        guard bytes.count <= maxPayload else { throw CodecError.malformed("operation payload of \(bytes.count) bytes is too large") }
        var r = BinaryReader(bytes)
        let head = try OperationPayload.readHead(&r)
        let author = try r.text(head.author)
        let body: OperationBody
        switch head.tag {
        case .genesis:
            let (node, key, name, role) = try readNodeIdentity(&r)
            let court = try r.string(limit: 256)
            let hasPredecessor = try r.u8()
            guard hasPredecessor <= 1 else { throw CodecError.malformed("bad predecessor flag") }
            let predecessor = hasPredecessor == 1 ? try r.id() : nil
            body = .genesis(Genesis(node: node, publicKey: key, name: name, role: role, court: court, predecessor: predecessor))
        case .create:
            let record = try r.id()
            let code = try r.u8()
            guard let kind = RecordKind(code: code) else { throw CodecError.malformed("unknown record kind \(code)") }
            let sop = try r.string(limit: 64)
            let count = try r.varint()
            guard count <= 64 else { throw CodecError.malformed("too many fields") }
            var fields: [FieldValue] = []
            for _ in 0..<count {
                let f = try r.u8()
                guard let field = Field(rawValue: f) else { throw CodecError.malformed("unknown field \(f)") }
                fields.append(FieldValue(field, try r.string(limit: 16 * 1024)))
            }
            body = .create(record: record, kind: kind, sop: sop, fields: fields)
        case .set:
            let record = try r.id()
            let tail = try OperationPayload.readSetTail(&r)
            guard let field = Field(rawValue: tail.field) else { throw CodecError.malformed("unknown field \(tail.field)") }
            body = .set(record: record, field: field, value: try r.text(tail.value), replaces: tail.replaces)
        case .step:
            let record = try r.id()
            let step = try r.varint()
            guard step < 1000 else { throw CodecError.malformed("step number \(step) out of range") }
            let b = try r.u8()
            guard b <= 2 else { throw CodecError.malformed("bad branch \(b)") }
            body = .step(record: record, step: Int(step), branch: b == 1 ? .ya : b == 2 ? .tidak : nil, note: try r.string(limit: 16 * 1024))
        case .comment:
            body = .comment(record: try r.id(), text: try r.string(limit: 16 * 1024))
        case .archive:
            body = .archive(record: try r.id())
        case .enroll:
            let (node, key, name, role) = try readNodeIdentity(&r)
            body = .enroll(Member(node: node, publicKey: key, name: name, role: role))
        case .revoke:
            let node = try r.id()
            let count = try r.varint()
            guard count <= 1024 else { throw CodecError.malformed("too many origins in a revocation") }
            var keep: [OpID] = []
            for _ in 0..<count { keep.append(OpID(origin: try r.id(), seq: try r.varint())) }
            body = .revoke(node: node, keep: keep)
        case .flow:
            body = .flow(try FlowRevision.decode(&r))
        case .setting:
            body = .setting(try CourtSetting.decode(&r))
        }
        guard r.isAtEnd else { throw CodecError.malformed("\(r.remaining) trailing bytes after operation") }
        return Operation(origin: origin, seq: seq, hlc: hlc, author: author, body: body)
    }
}

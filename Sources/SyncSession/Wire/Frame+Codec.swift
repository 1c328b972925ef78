import Replica

/// Frame bodies. All integers are LEB128 varints unless noted; strings and byte strings carry a
/// varint length. Everything is bounds-checked; a frame must be consumed exactly.
extension Frame {
    /// The complete frame on its own: length prefix, type byte, body. A batch encoded this way
    /// names no id sent in an earlier frame, so it also decodes in the middle of a stream.
    public func encoded() -> [UInt8] {
        var context = OperationRun.EncodingContext()
        return encoded(runs: &context)
    }

    /// The complete frame as the next of a stream whose batches share `context` (the ids
    /// already sent; the receiving `FrameDecoder` keeps the matching state).
    package func encoded(runs context: inout OperationRun.EncodingContext) -> [UInt8] {
        Self.compressed(encodedPlain(runs: &context))
    }

    /// The frame before compression. Batches are cut by this size: it bounds what the receiver
    /// holds once it has decompressed the frame.
    package func encodedPlain(runs context: inout OperationRun.EncodingContext) -> [UInt8] {
        var w = BinaryWriter(capacity: 64)
        w.u32be(0)
        w.u8(kind.rawValue)
        switch self {
        case .hello(let h):
            w.raw(Self.magic)
            w.u8(h.version)
            w.string(h.court)
            w.id(h.node)
            w.string(h.name)
            w.string(h.role)
            w.data(h.publicKey)
            w.varint(UInt64(h.listenPort))
            w.varint(h.clock)
            w.u8(h.clockHops)
        case .vector(let v), .done(let v):
            v.encode(into: &w)
        case .batch(let id, let runs):
            w.bytes.reserveCapacity(runs.reduce(64) { $0 + $1.entries.reduce(24) { $0 + $1.payload.count + 80 } })
            w.varint(id)
            w.varint(UInt64(runs.count))
            for run in runs { run.encode(into: &w, context: &context) }
        case .ack(let id, let applied):
            w.varint(id)
            w.varint(applied)
        case .error(let code, let message):
            // Characters take at most 4 bytes: these prefixes always fit the decoder's limits.
            w.string(String(code.prefix(16)))
            w.string(String(message.prefix(Self.maxErrorMessage / 4)))
        }
        w.setU32be(UInt32(w.bytes.count - 4), at: 0)
        return w.bytes
    }

    /// A frame as it is sent: a batch's body compressed (type 8) when that makes it shorter (see
    /// `BatchCompression`); any other frame as it is.
    package static func compressed(_ plain: [UInt8]) -> [UInt8] {
        guard plain.count > 5, plain[4] == Kind.batch.rawValue, let compressed = BatchCompression.compress(plain, 5..<plain.count) else { return plain }
        var z = BinaryWriter(capacity: compressed.count + 16)
        z.u32be(0)
        z.u8(Kind.compressedBatch.rawValue)
        z.varint(UInt64(plain.count - 5))
        z.raw(compressed[...])
        z.setU32be(UInt32(z.bytes.count - 4), at: 0)
        return z.bytes
    }

    static let maxErrorMessage = 4096
    /// Most runs one batch may hold.
    static let maxRuns = 100_000

    /// Decodes the frame whose type byte is at `offset` and whose body ends at `end`.
    static func decode(_ bytes: [UInt8], offset: Int, end: Int, runs context: inout OperationRun.DecodingContext) throws -> Frame {
        let type = bytes[offset]
        guard let kind = Kind(rawValue: type) else {
            throw SyncError(.malformed, "unknown frame type \(type)", hint: "the peer is not a Sinkron node of this version, or the stream is damaged")
        }
        var r = BinaryReader(bytes, offset: offset + 1, end: end)
        do {
            if kind == .compressedBatch {
                // Decompressed, it must be a batch body no larger than a frame may be.
                let length = try r.varint()
                guard length >= 2, length <= UInt64(maxFrameSize) else { throw SyncError(.malformed, "a compressed batch announces \(length) bytes") }
                let body = try BatchCompression.expand(bytes, r.offset..<end, length: Int(length))
                var inner = BinaryReader(body, offset: 0, end: body.count)
                let frame = try decodeBody(.batch, &inner, &context)
                guard inner.isAtEnd else { throw SyncError(.malformed, "batch frame has \(inner.remaining) unexpected trailing bytes") }
                return frame
            }
            let frame = try decodeBody(kind, &r, &context)
            guard r.isAtEnd else { throw SyncError(.malformed, "\(kind) frame has \(r.remaining) unexpected trailing bytes") }
            return frame
        } catch let error as CodecError {
            throw SyncError(.malformed, "\(kind) frame is malformed: \(error)")
        }
    }

    private static func decodeBody(_ kind: Kind, _ r: inout BinaryReader, _ context: inout OperationRun.DecodingContext) throws -> Frame {
        switch kind {
        case .hello:
            guard r.remaining >= magic.count + 1, Array(try r.raw(magic.count)) == magic else {
                throw SyncError(.version, "the peer's hello does not start with the Sinkron magic", hint: "is this address a sinkron node?")
            }
            let version = try r.u8()
            guard version == protocolVersion else {
                throw SyncError(.version, "the peer speaks sync protocol version \(version); this node speaks version \(protocolVersion)",
                    hint: "install the same sinkron version on both PCs")
            }
            let court = try r.string(limit: 256)
            let node = try r.id()
            let name = try r.string(limit: 256)
            let role = try r.string(limit: 64)
            let key = try r.data(limit: 64)
            guard key.count == 32 else { throw SyncError(.malformed, "hello frame has a key of the wrong length") }
            let port = try r.varint()
            guard port <= UInt64(UInt16.max) else { throw SyncError(.malformed, "hello frame has listen port \(port)") }
            let clock = try r.varint()
            let hops = try r.u8()
            var hello = Hello(version: version, court: court, node: node, name: name, role: role, publicKey: key)
            hello.listenPort = UInt16(port)
            hello.clock = clock
            hello.clockHops = hops
            return .hello(hello)
        case .vector:
            return .vector(try VersionVector.decode(from: &r))
        case .done:
            return .done(try VersionVector.decode(from: &r))
        case .batch:
            let id = try r.varint()
            let count = try r.varint()
            // A run takes at least 6 bytes: refuse counts the frame cannot hold before allocating.
            guard count >= 1, count <= UInt64(maxRuns), count <= UInt64(r.remaining / 6) else {
                throw SyncError(.malformed, "batch of \(count) runs is out of range")
            }
            var runs: [OperationRun] = []
            runs.reserveCapacity(Int(count))
            for _ in 0..<count { runs.append(try OperationRun.decode(from: &r, context: &context)) }
            return .batch(id: id, runs: runs)
        case .compressedBatch:
            throw SyncError(.malformed, "a compressed batch inside a compressed batch")
        case .ack:
            return .ack(id: try r.varint(), applied: try r.varint())
        case .error:
            return .error(code: try r.string(limit: 64), message: try r.string(limit: maxErrorMessage))
        }
    }
}

import Replica

/// What travels on the TCP stream, each as `u32 big-endian length` of what follows, a type byte
/// and the body. A session starts with the Noise_XX handshake in three messages (hello, then two
/// handshake messages); after it, only records: Noise transport messages whose plaintexts, joined,
/// are the stream of `Frame`s. A clear-text error may come only before the handshake completes.
public enum WireMessage: Sendable, Equatable {
    /// Type 1, the initiator's first message: `"SNKR"`, the protocol version (3), then Noise
    /// message 1 (`e`). Version 2 began with the same type, magic and version byte (its clear
    /// hello), so a peer of that version is told apart here and told to upgrade.
    case hello(version: UInt8, noise: [UInt8])
    /// Type 8: Noise handshake message 2 (responder) or 3 (initiator).
    case handshake([UInt8])
    /// Type 9: one Noise transport message (at most 65,535 bytes: up to 65,519 of plaintext and
    /// its 16-byte tag).
    case record([UInt8])
    /// Type 7: code and message (varint-length strings), as version 2's error frame, so that a
    /// peer of either version can read it. Only before the handshake completes: busy, the
    /// protocol version, a failed handshake, a timeout.
    case error(code: String, message: String)

    enum Kind: UInt8 { case hello = 1, error = 7, handshake = 8, record = 9 }

    /// Plaintext bytes in one record.
    public static let maxRecordPlaintext = 65_535 - 16
    /// Largest message before the handshake completes (the handshake's are a few hundred bytes).
    public static let maxHandshakeMessage = 8_192
    /// Largest message after it: a record.
    public static let maxRecordMessage = 65_535 + 1

    public func encoded() -> [UInt8] {
        switch self {
        case .error(let code, let message):
            return Frame.error(code: code, message: message).encoded()
        case .hello(let version, let noise):
            return Self.frame(.hello, Frame.magic + [version] + noise)
        case .handshake(let noise):
            return Self.frame(.handshake, noise)
        case .record(let ciphertext):
            return Self.frame(.record, ciphertext)
        }
    }

    static func frame(_ kind: Kind, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(body.count + 1)
        var out = [UInt8]()
        out.reserveCapacity(body.count + 5)
        out += [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)]
        out.append(kind.rawValue)
        out += body
        return out
    }

    /// Appends records carrying `plaintext` (cut into pieces that fit) to `out`, sealing each.
    static func records(_ plaintext: [UInt8], seal: (ArraySlice<UInt8>) throws -> [UInt8]) rethrows -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plaintext.count + (plaintext.count / maxRecordPlaintext + 1) * 21)
        var offset = 0
        repeat {
            let end = min(plaintext.count, offset + maxRecordPlaintext)
            out += frame(.record, try seal(plaintext[offset..<end]))
            offset = end
        } while offset < plaintext.count
        return out
    }
}

/// Cuts the TCP stream into `WireMessage`s, refusing a length prefix above the current limit as
/// soon as its four bytes arrive (a few KiB until the handshake completes).
public struct WireDecoder: Sendable {
    public var maxLength = WireMessage.maxHandshakeMessage
    private var stream = LengthPrefixedStream()

    public init() {}

    public var buffered: Int { stream.buffered }

    public mutating func append(_ bytes: some Collection<UInt8>) { stream.append(bytes) }

    public mutating func next() throws -> WireMessage? {
        guard
            let unit = try stream.next(
                limit: maxLength, noun: "message", hint: "the peer is damaged or hostile, or not a Sinkron node; nothing of it was read")
        else { return nil }
        let buffer = stream.bytes
        let body = unit.lowerBound + 1
        let end = unit.upperBound
        defer { stream.consume(unit) }
        guard let kind = WireMessage.Kind(rawValue: buffer[unit.lowerBound]) else {
            throw SyncError(.malformed, "unknown message type \(buffer[unit.lowerBound])", hint: "the peer is not a Sinkron node of this version, or the stream is damaged")
        }
        switch kind {
        case .hello:
            guard end - body >= Frame.magic.count + 1, Array(buffer[body..<body + Frame.magic.count]) == Frame.magic else {
                throw SyncError(.version, "the peer's hello does not start with the Sinkron magic", hint: "is this address a sinkron node?")
            }
            return .hello(version: buffer[body + Frame.magic.count], noise: Array(buffer[(body + Frame.magic.count + 1)..<end]))
        case .handshake:
            return .handshake(Array(buffer[body..<end]))
        case .record:
            return .record(Array(buffer[body..<end]))
        case .error:
            var context = OperationRun.DecodingContext()
            guard case .error(let code, let message) = try Frame.decode(buffer, offset: unit.lowerBound, end: end, runs: &context) else {
                throw SyncError(.malformed, "an error message that is not one")
            }
            return .error(code: code, message: message)
        }
    }
}

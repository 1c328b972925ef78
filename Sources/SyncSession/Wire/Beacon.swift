import Crypto
import Replica

/// The UDP beacon with which a daemon announces itself on the LAN: an address hint for its
/// court's members, nothing more (the handshake still decides who is a member). It holds no court
/// or node name and no record data: a tag of the court (a hash of its root key), the node id, the
/// TCP port it listens on and its court time, signed with the node key.
///
///     "SNKB" | version u8 (1) | court tag (8) | node id (16) | TCP port u16 | court time ms u64 | Ed25519 signature (64)
///
/// (big-endian; the signature covers `"sinkron.handshake.v1" || "sinkron.beacon.v1" ||` the
/// bytes before it). The sender's address is the packet's source address.
public struct Beacon: Sendable, Equatable {
    public var courtTag: [UInt8]
    public var node: NodeID
    public var port: UInt16
    public var time: UInt64
    public var signature: [UInt8]

    public static let magic: [UInt8] = Array("SNKB".utf8)
    public static let version: UInt8 = 1
    public static let length = 4 + 1 + 8 + 16 + 2 + 8 + 64
    /// A beacon whose time is further than this from ours (ms) is stale or replayed: ignored.
    public static let maxSkew: UInt64 = 5 * 60_000

    public static func courtTag(root: [UInt8]) -> [UInt8] { Array(Array(SHA256.hash(data: Array("sinkron.beacon.court".utf8) + root)).prefix(8)) }

    /// The bytes the signature covers (after `Replica.signChallenge`'s own prefix).
    public var signedBytes: [UInt8] {
        var out = Array("sinkron.beacon.v1".utf8)
        out += unsignedBody
        return out
    }

    var unsignedBody: [UInt8] {
        var out = Self.magic + [Self.version] + courtTag + node.bytes
        out += [UInt8(port >> 8), UInt8(port & 0xFF)]
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: time >> (56 - 8 * UInt64(i)))) }
        return out
    }

    public var encoded: [UInt8] { unsignedBody + signature }

    /// Signs a beacon for this node.
    public static func make(replica: Replica, port: UInt16) throws -> Beacon {
        let root = HandshakeIdentity.rootBytes(hex: replica.courtRoot ?? "")
        var beacon = Beacon(courtTag: courtTag(root: root), node: replica.identity.node, port: port, time: replica.courtTime, signature: [])
        beacon.signature = try replica.signChallenge(beacon.signedBytes)
        return beacon
    }

    /// Parses a packet; nil when it is not a beacon of this version.
    public static func decode(_ bytes: [UInt8]) -> Beacon? {
        guard bytes.count == length, Array(bytes[0..<4]) == magic, bytes[4] == version, let node = NodeID(bytes: bytes[13..<29]) else { return nil }
        let port = UInt16(bytes[29]) << 8 | UInt16(bytes[30])
        var time: UInt64 = 0
        for i in 31..<39 { time = time << 8 | UInt64(bytes[i]) }
        return Beacon(courtTag: Array(bytes[5..<13]), node: node, port: port, time: time, signature: Array(bytes[39..<103]))
    }

    /// Whether `publicKey` signed this beacon.
    public func verifies(publicKey: [UInt8]) -> Bool {
        Replica.verifyChallenge(signedBytes, signature: signature, publicKey: publicKey)
    }
}

import Crypto
import Replica

/// What each side proves in the Noise handshake's payload (encrypted, message 2 for the responder
/// and 3 for the initiator): the node it is, its enrolled Ed25519 key, and that key's signature
/// over this session's Noise static key. Noise proves the peer holds that static key; the
/// signature binds it to the node key the court enrolled.
public struct HandshakeIdentity: Sendable, Equatable {
    public var node: NodeID
    /// The node's Ed25519 public key (32 bytes).
    public var publicKey: [UInt8]
    /// Ed25519 over `bindingMessage(noiseStatic)`, with the node's key (64 bytes).
    public var signature: [UInt8]

    public init(node: NodeID, publicKey: [UInt8], signature: [UInt8]) {
        self.node = node
        self.publicKey = publicKey
        self.signature = signature
    }

    /// node id (16) | Ed25519 public key (32) | signature (64).
    public static let encodedLength = 16 + 32 + 64

    public var encoded: [UInt8] { node.bytes + publicKey + signature }

    public static func decode(_ bytes: [UInt8]) throws -> HandshakeIdentity {
        guard bytes.count == encodedLength, let node = NodeID(bytes: Array(bytes[0..<16])) else {
            throw SyncError(.authentication, "the peer's handshake payload is \(bytes.count) bytes, not \(encodedLength)", hint: "the peer is not a Sinkron node of this version")
        }
        return HandshakeIdentity(node: node, publicKey: Array(bytes[16..<48]), signature: Array(bytes[48..<112]))
    }

    /// What the node key signs (after `Replica.signChallenge`'s own domain prefix).
    public static func bindingMessage(_ noiseStatic: [UInt8]) -> [UInt8] { Array("sinkron.noise-static.v3".utf8) + noiseStatic }

    /// True when `signature` binds `noiseStatic` to `publicKey`.
    public func binds(_ noiseStatic: [UInt8]) -> Bool {
        Replica.verifyChallenge(Self.bindingMessage(noiseStatic), signature: signature, publicKey: publicKey)
    }

    /// The Noise prologue: the protocol's name and version, then the court's root key. Two nodes
    /// of different courts (different roots) hash different prologues and cannot finish the
    /// handshake: the responder's message 2 does not decrypt at the initiator.
    public static func prologue(courtRoot: [UInt8]) -> [UInt8] { Array("sinkron/3".utf8) + courtRoot }
}

extension HandshakeIdentity {
    /// The court root as the replica stores it (hex) in bytes; empty when it is not valid hex.
    package static func rootBytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else { return [] }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// This side's Noise static key and its signed identity, made on first use: a connection that
/// never sends a hello (most of a flood) costs no key generation and no signature.
public final class SessionKeys {
    private let make: () -> (identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey)
    private var made: (identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey)?

    public init(_ make: @escaping () -> (identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey)) { self.make = make }

    public convenience init(identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey) { self.init { (identity, staticKey) } }

    public var isMade: Bool { made != nil }

    var value: (identity: HandshakeIdentity, staticKey: Curve25519.KeyAgreement.PrivateKey) {
        if let made { return made }
        let value = make()
        made = value
        return value
    }
}

import Crypto
import Foundation
import _CryptoExtras

/// What `invite` hands the admin: the member enrolled, and the one-time code to give the desk apart from the file.
public struct InvitationReceipt: Sendable, Codable, Equatable {
    public var member: MemberEntry
    public var code: String
    public var path: String
}

/// The invitation file an admin writes for a new desk.
///
/// Layout (format 3): magic `SINKRONI`, version, then the court name, court root (hex), court
/// code, the desk's node id and public key, name, role, the admin's court time and name, the
/// scrypt cost (log2 N), a 16-byte salt, the desk's private key sealed with ChaChaPoly (nonce,
/// ciphertext, tag; the node id and public key are its associated data), the bundle of the
/// admin's replica; and last an Ed25519 signature by the court root over every byte before it.
///
/// Why a sealed key rather than a key made on the desk: a desk joins with one trip of the flash
/// disk (the admin's replica travels with it), and the court's SOPs already move things that way.
/// Whoever finds the flash disk learns nothing without the code; the code alone is useless
/// without the file. The signature is checked before anything is written, so no damaged or
/// edited byte can yield a node with another identity, role or court.
public enum Invitation {
    static let magic = Array("SINKRONI".utf8)
    static let version: UInt8 = 3

    /// The scrypt cost. `.standard` (N = 2^15, r = 8: 32 MiB, about 0.1 s here) for real
    /// invitations; `.testing` only for test suites that enroll thousands of desks.
    public struct Strength: Sendable, Equatable {
        public var logN: UInt8
        public static let standard = Strength(logN: 15)
        public static let testing = Strength(logN: 4)
    }

    /// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L, U/V).
    static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTWXYZ")
    /// Characters in a code: 12 of 29, about 58 bits, each guess costing a scrypt.
    static let codeLength = 12

    struct Contents: Equatable {
        var court: String
        var courtRoot: String
        var courtCode: String
        var node: NodeID
        var publicKey: [UInt8]
        var name: String
        var role: Role
        var issuedAt: UInt64
        var issuedBy: String
        var bundle: [UInt8]
    }

    /// A new one-time code, shown in groups of four: `K7QM-3XWD-9PHT`.
    static func newCode(using entropy: any EntropySource) -> String {
        let chars = (0..<codeLength).map { _ in alphabet[Int(entropy.below(UInt32(alphabet.count)))] }
        return stride(from: 0, to: codeLength, by: 4).map { String(chars[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// The code as typed (any case, spaces or dashes), or an error naming what is wrong.
    static func normalise(_ code: String) throws -> [UInt8] {
        let chars = code.uppercased().filter { $0 != "-" && $0 != " " }
        guard chars.count == codeLength, chars.allSatisfy(alphabet.contains) else {
            throw ReplicaError(
                .invalidInput, "the invitation code must be \(codeLength) letters and digits, like K7QM-3XWD-9PHT",
                hint: "type the code the court admin gave you with the invitation")
        }
        return Array(chars.utf8)
    }

    static func sealingKey(code: [UInt8], salt: [UInt8], strength: Strength) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(from: code, salt: salt, outputByteCount: 32, rounds: 1 << Int(strength.logN), blockSize: 8, parallelism: 1)
    }

    static func encode(
        _ c: Contents, privateKey: [UInt8], code: String, strength: Strength, signer: Curve25519.Signing.PrivateKey, entropy: any EntropySource
    ) throws -> [UInt8] {
        let salt = entropy.bytes(16)
        let key = try sealingKey(code: try normalise(code), salt: salt, strength: strength)
        let nonce = try ChaChaPoly.Nonce(data: entropy.bytes(12))
        let sealed = try ChaChaPoly.seal(privateKey, using: key, nonce: nonce, authenticating: c.node.bytes + c.publicKey).combined
        var w = BinaryWriter(capacity: c.bundle.count + 512)
        w.raw(magic)
        w.u8(version)
        w.string(c.court)
        w.string(c.courtRoot)
        w.string(c.courtCode)
        w.id(c.node)
        w.data(c.publicKey)
        w.string(c.name)
        w.string(c.role.rawValue)
        w.varint(c.issuedAt)
        w.string(c.issuedBy)
        w.u8(strength.logN)
        w.data(salt)
        w.data(Array(sealed))
        w.data(c.bundle)
        let signature = try signer.signature(for: w.bytes)
        w.raw(Array(signature))
        return w.bytes
    }

    static var damaged: ReplicaError {
        ReplicaError(.invalidInput, "the invitation is damaged or was altered (its signature does not verify)", hint: "nothing was written; ask the court admin for a new invitation")
    }

    /// Reads and authenticates an invitation, then opens the desk's key with `code`. Nothing is
    /// written; any damaged or edited byte, or a wrong code, is an error.
    static func open(_ path: String, code: String) throws -> (Contents, Curve25519.Signing.PrivateKey) {
        let bytes = try readFile(path, limit: Bundle.maxBytes)
        guard bytes.count > magic.count + 1 + 64, Array(bytes.prefix(magic.count)) == magic else {
            throw ReplicaError(.invalidInput, "\(path) is not a Sinkron invitation", hint: "the court admin writes one with `sinkron invite`")
        }
        guard bytes[magic.count] == version else {
            throw ReplicaError(.invalidInput, "\(path) is an invitation of format \(bytes[magic.count]); this sinkron reads format \(version)", hint: "ask the court admin for a new invitation")
        }
        let signed = Array(bytes.dropLast(64))
        let signature = Array(bytes.suffix(64))
        let c: Contents
        let logN: UInt8
        let salt: [UInt8]
        let sealed: [UInt8]
        do {
            var r = BinaryReader(signed, offset: magic.count + 1)
            let court = try r.string(limit: 256)
            let root = try r.string(limit: 128)
            let courtCode = try r.string(limit: 64)
            let node = try r.id()
            let publicKey = try r.data(limit: 32)
            let name = try r.string(limit: 256)
            let roleName = try r.string(limit: 64)
            let issuedAt = try r.varint()
            let issuedBy = try r.string(limit: 256)
            logN = try r.u8()
            salt = try r.data(limit: 16)
            sealed = try r.data(limit: 128)
            let bundle = try r.data(limit: Bundle.maxBytes)
            guard r.isAtEnd else { throw damaged }
            // The signature covers every byte: check it before trusting any field.
            guard let rootKey = try? Curve25519.Signing.PublicKey(rawRepresentation: Replica.bytes(hex: root)),
                rootKey.isValidSignature(signature, for: signed)
            else { throw damaged }
            guard let role = Role(rawValue: roleName), (4...20).contains(logN), salt.count == 16 else { throw damaged }
            c = Contents(court: court, courtRoot: root, courtCode: courtCode, node: node, publicKey: publicKey, name: name, role: role, issuedAt: issuedAt, issuedBy: issuedBy, bundle: bundle)
        } catch is CodecError {
            throw damaged
        }
        let key = try sealingKey(code: try normalise(code), salt: salt, strength: Strength(logN: logN))
        guard let box = try? ChaChaPoly.SealedBox(combined: sealed),
            let opened = try? ChaChaPoly.open(box, using: key, authenticating: c.node.bytes + c.publicKey),
            let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: opened),
            Array(privateKey.publicKey.rawRepresentation) == c.publicKey
        else {
            throw ReplicaError(.invalidInput, "the code does not open this invitation", hint: "check the code the court admin gave you (letters and digits, any case); nothing was written")
        }
        return (c, privateKey)
    }
}

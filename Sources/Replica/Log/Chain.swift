import Crypto
import Foundation

/// The per-origin hash chain and its Ed25519 signatures.
///
/// `hash(n) = SHA-256(hash(n-1) ‖ canonical(op n))`, with `hash(0)` derived from the origin id.
/// The canonical encoding holds the format version, origin, seq, clock and payload, so the chain
/// commits to every field and to the order; `prev-hash` and `seq` need not travel on the wire.
/// A signature over `hash(n)` covers operations 1…n of that origin.
public enum Chain {
    public static func initialHash(origin: OriginID) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array("sinkron.chain.v1".utf8))
        hasher.update(data: origin.bytes)
        return Array(hasher.finalize())
    }

    /// The chain hash after appending an operation with this payload.
    public static func next(previous: [UInt8], origin: OriginID, seq: UInt64, hlc: HLC, payload: [UInt8]) -> [UInt8] {
        Array(nextDigest(previous: previous, origin: origin, seq: seq, hlc: hlc, payload: payload))
    }

    /// `next` as a digest value, with no array made: the merge hashes every operation it
    /// receives but keeps only the hash of each run's last.
    static func nextDigest(previous: some ContiguousBytes, origin: OriginID, seq: UInt64, hlc: HLC, payload: [UInt8]) -> SHA256Digest {
        // The message (previous hash, version, origin, seq, clock, payload) is laid out in one
        // buffer and hashed in one call: each `update` of swift-crypto's hasher costs about as
        // much as hashing these few dozen bytes (a profile of an import: a third of this
        // function's time was in `update`). The buffer is on the stack for every usual payload.
        previous.withUnsafeBytes { previous in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: previous.count + 1 + 16 + 10 + 10 + payload.count) { buffer in
                var n = 0
                func put(_ byte: UInt8) {
                    buffer[n] = byte
                    n += 1
                }
                func varint(_ value: UInt64) {
                    var v = value
                    while v >= 0x80 {
                        put(UInt8(truncatingIfNeeded: v) | 0x80)
                        v >>= 7
                    }
                    put(UInt8(v))
                }
                for byte in previous { put(byte) }
                put(Operation.formatVersion)
                for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: origin.high >> UInt64(shift))) }
                for shift in stride(from: 56, through: 0, by: -8) { put(UInt8(truncatingIfNeeded: origin.low >> UInt64(shift))) }
                varint(seq)
                varint(hlc.raw)
                payload.withUnsafeBufferPointer { payload in
                    if let base = payload.baseAddress { (buffer.baseAddress! + n).update(from: base, count: payload.count) }
                }
                n += payload.count
                var hasher = SHA256()
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<n]))
                return hasher.finalize()
            }
        }
    }

    static func signedMessage(origin: OriginID, seq: UInt64, hash: [UInt8]) -> [UInt8] {
        var w = BinaryWriter(capacity: 72)
        w.raw(Array("sinkron.sig.v1".utf8))
        w.id(origin)
        w.varint(seq)
        w.raw(hash)
        return w.bytes
    }

    public static func sign(origin: OriginID, seq: UInt64, hash: [UInt8], key: Curve25519.Signing.PrivateKey) throws -> [UInt8] {
        Array(try key.signature(for: signedMessage(origin: origin, seq: seq, hash: hash)))
    }

    public static func verify(origin: OriginID, seq: UInt64, hash: [UInt8], signature: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == 64, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: signedMessage(origin: origin, seq: seq, hash: hash))
    }
}

import Crypto

/// Noise's CipherState (spec rev. 34, §5.1) for ChaChaPoly: a key, or none, and a 64-bit nonce
/// that counts the messages; the 96-bit AEAD nonce is 32 zero bits then the counter, little-endian.
public struct CipherState {
    private var key: SymmetricKey?
    public private(set) var nonce: UInt64 = 0
    /// Bytes of authentication tag each ciphertext carries.
    public static let tagLength = 16

    public init(key: [UInt8]? = nil) {
        self.key = key.map { SymmetricKey(data: $0) }
    }

    public var hasKey: Bool { key != nil }

    /// ENCRYPT(k, n++, ad, plaintext), or the plaintext itself while there is no key.
    public mutating func encrypt(_ plaintext: [UInt8], ad: [UInt8]) throws -> [UInt8] {
        guard let key else { return plaintext }
        guard nonce < UInt64.max else { throw NoiseError(.exhausted, "the session has sent 2^64-1 messages") }
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: try Self.aeadNonce(nonce), authenticating: ad)
        nonce += 1
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// DECRYPT(k, n++, ad, ciphertext); the nonce moves on only when the ciphertext authenticates.
    public mutating func decrypt(_ ciphertext: [UInt8], ad: [UInt8]) throws -> [UInt8] {
        guard let key else { return ciphertext }
        guard nonce < UInt64.max else { throw NoiseError(.exhausted, "the session has received 2^64-1 messages") }
        guard ciphertext.count >= Self.tagLength else {
            throw NoiseError(.malformed, "a ciphertext of \(ciphertext.count) bytes is shorter than its tag")
        }
        let cut = ciphertext.count - Self.tagLength
        let plaintext: [UInt8]
        do {
            let box = try ChaChaPoly.SealedBox(nonce: try Self.aeadNonce(nonce), ciphertext: ciphertext[..<cut], tag: ciphertext[cut...])
            plaintext = Array(try ChaChaPoly.open(box, using: key, authenticating: ad))
        } catch {
            throw NoiseError(.decrypt, "a message did not authenticate (damaged, tampered with, replayed or out of order)")
        }
        nonce += 1
        return plaintext
    }

    static func aeadNonce(_ n: UInt64) throws -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[4 + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
        return try ChaChaPoly.Nonce(data: bytes)
    }
}

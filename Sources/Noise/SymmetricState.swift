import Crypto

/// Noise's SymmetricState (spec rev. 34, §5.2) with SHA-256: the chaining key, the handshake hash
/// and the CipherState that encrypts handshake payloads.
public struct SymmetricState {
    public static let hashLength = 32
    private(set) var chainingKey: [UInt8]
    /// h: the hash of everything the handshake has said so far (the channel binding).
    public private(set) var handshakeHash: [UInt8]
    private(set) var cipher = CipherState()

    public init(protocolName: String) {
        let name = Array(protocolName.utf8)
        let h = name.count <= Self.hashLength ? name + [UInt8](repeating: 0, count: Self.hashLength - name.count) : Self.hash(name)
        handshakeHash = h
        chainingKey = h
    }

    public mutating func mixKey(_ input: [UInt8]) {
        let (ck, key) = Self.hkdf(chainingKey: chainingKey, input: input)
        chainingKey = ck
        cipher = CipherState(key: key)
    }

    public mutating func mixHash(_ data: [UInt8]) {
        handshakeHash = Self.hash(handshakeHash + data)
    }

    public mutating func encryptAndHash(_ plaintext: [UInt8]) throws -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, ad: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    public mutating func decryptAndHash(_ ciphertext: [UInt8]) throws -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, ad: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    var hasKey: Bool { cipher.hasKey }

    /// The two transport CipherStates: the initiator sends with the first.
    public func split() -> (CipherState, CipherState) {
        let (first, second) = Self.hkdf(chainingKey: chainingKey, input: [])
        return (CipherState(key: first), CipherState(key: second))
    }

    static func hash(_ data: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: data)) }

    /// Noise's HKDF with two outputs, which is RFC 5869's with the chaining key as salt and no info.
    static func hkdf(chainingKey: [UInt8], input: [UInt8]) -> ([UInt8], [UInt8]) {
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: input), salt: chainingKey)
        let out = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: [UInt8](), outputByteCount: 2 * hashLength)
        let bytes = out.withUnsafeBytes { Array($0) }
        return (Array(bytes[..<hashLength]), Array(bytes[hashLength...]))
    }
}

import Crypto
import Foundation

/// Where a replica's random choices come from: node, origin and record ids, node keys, one-time
/// invitation codes and their salts and nonces. Production uses the system CSPRNG
/// (`SystemEntropy`); the simulator passes a source seeded from its seed, so one seed replays
/// byte for byte (`ReplicaTesting.SeededEntropy`).
public protocol EntropySource: AnyObject, Sendable {
    /// 64 fresh random bits.
    func next() -> UInt64
}

/// The system's cryptographically secure generator.
public final class SystemEntropy: EntropySource {
    public init() {}

    public func next() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }
}

extension EntropySource {
    public func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 7)
        while out.count < count {
            let word = next()
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        return Array(out.prefix(count))
    }

    /// A fresh 128-bit id.
    public func id() -> ID128 { ID128(high: next(), low: next()) }

    /// A fresh Ed25519 key.
    public func signingKey() -> Curve25519.Signing.PrivateKey {
        // 32 random bytes are a valid Ed25519 seed; this cannot fail.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: bytes(32))
    }

    /// A number in 0..<bound, without modulo bias.
    public func below(_ bound: UInt32) -> UInt32 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % UInt64(bound)
        while true {
            let value = next()
            if value < limit { return UInt32(value % UInt64(bound)) }
        }
    }
}

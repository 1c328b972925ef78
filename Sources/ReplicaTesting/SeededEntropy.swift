import Foundation
import Replica

/// Entropy from a seed (SplitMix64): the same seed gives the same ids, keys and codes, so a
/// simulation seed replays byte for byte. Never for real use: anyone who knows the seed knows
/// the keys.
public final class SeededEntropy: EntropySource, @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    public func next() -> UInt64 { lock.withLock { generator.next() } }
}

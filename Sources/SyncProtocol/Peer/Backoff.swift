/// Exponential backoff with jitter, capped: the delay before the next attempt to dial a peer.
public struct Backoff: Sendable, Equatable {
    public var base: UInt64
    public var cap: UInt64
    public private(set) var failures = 0

    public init(base: UInt64 = 1_000, cap: UInt64 = 60_000) {
        self.base = base
        self.cap = cap
    }

    /// The delay (ms) after one more failure: half of `min(cap, base·2^failures)` plus a random
    /// share of the other half, so peers that failed together do not retry together.
    public mutating func nextDelay(random: (ClosedRange<UInt64>) -> UInt64 = { UInt64.random(in: $0) }) -> UInt64 {
        let exponent = min(failures, 30)
        failures += 1
        let ceiling = min(cap, base << UInt64(exponent))
        return ceiling / 2 + random(0...(ceiling - ceiling / 2))
    }

    public mutating func reset() { failures = 0 }
}

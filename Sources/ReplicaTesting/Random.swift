import Replica

/// Draws used by the randomised tests. They use only `next()`, so a seed replays the same test
/// on every platform and Swift version (unlike `Int.random(in:using:)`, whose algorithm may change).
extension SplitMix64 {
    /// A number in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    public mutating func pick<C: Collection>(_ items: C) -> C.Element where C.Index == Int {
        items[items.startIndex + below(items.count)]
    }

    /// The items in a random order.
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var out = items
        guard out.count > 1 else { return out }
        for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, below(i + 1)) }
        return out
    }

    /// A random subset (each item kept with probability `percent`/100), order kept.
    public mutating func subset<T>(_ items: [T], percent: Int = 50) -> [T] {
        items.filter { _ in chance(percent) }
    }
}

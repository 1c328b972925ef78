#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic milliseconds, injectable so tests can move time without sleeping.
public protocol SyncClock: Sendable {
    func milliseconds() -> UInt64
}

/// `CLOCK_MONOTONIC`: unaffected by a PC whose wall clock is wrong or gets corrected.
public struct MonotonicClock: SyncClock {
    public init() {}

    public func milliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

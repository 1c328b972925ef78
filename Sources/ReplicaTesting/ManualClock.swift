import Foundation
import Replica

/// A physical clock the test moves by hand; it never moves by itself.
public final class ManualClock: PhysicalClock, @unchecked Sendable {
    private let lock = NSLock()
    private var ms: UInt64

    /// 2026-03-02 08:00 UTC, a Monday morning at the court.
    public static let start: UInt64 = 1_772_438_400_000

    public init(_ milliseconds: UInt64 = ManualClock.start) { ms = milliseconds }

    public func now() -> UInt64 { lock.withLock { ms } }

    /// Sets the reading (it may go backwards, as a badly set PC clock does).
    public func set(_ milliseconds: UInt64) { lock.withLock { ms = milliseconds } }

    public func advance(by milliseconds: UInt64) { lock.withLock { ms += milliseconds } }

    public func rewind(by milliseconds: UInt64) { lock.withLock { ms -= min(ms, milliseconds) } }
}

extension ManualClock {
    /// The date of a millisecond reading.
    public static func date(_ milliseconds: UInt64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

import Foundation

/// A hybrid logical clock reading: physical milliseconds in the high 48 bits, a counter in the low 16.
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64

    public init(raw: UInt64) { self.raw = raw }

    public init(milliseconds: UInt64, counter: UInt16) {
        raw = milliseconds << 16 | UInt64(counter)
    }

    public var milliseconds: UInt64 { raw >> 16 }
    public var counter: UInt16 { UInt16(truncatingIfNeeded: raw) }
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public var description: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date) + (counter > 0 ? "+\(counter)" : "")
    }

    public static func < (a: HLC, b: HLC) -> Bool { a.raw < b.raw }
}

/// A source of physical time, injectable so tests and the simulator control it.
public protocol PhysicalClock: Sendable {
    /// Milliseconds since 1970.
    func now() -> UInt64
}

/// The machine's wall clock.
public struct SystemClock: PhysicalClock {
    public init() {}
    public func now() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }
}

/// A hybrid logical clock: advanced on every local write and every received operation.
///
/// Its physical part is *court time*: this PC's clock plus `offset`, the correction learned from
/// the court admin's clock (directly in a sync session, through peers that learned it, or from
/// the invitation; see `Replica+Clock.swift`). So a PC whose clock is years off stamps its
/// writes in court time and does not win (or lose) concurrent conflicts because of its clock.
///
/// A remote reading far ahead of our court time is not adopted beyond `maxDrift`: the operation
/// is kept but flagged, so one PC cannot drag every clock into the future. Causally later writes
/// still win because a write names the values it replaced.
public struct HybridClock: Sendable {
    /// How far ahead of local physical time a remote clock may pull ours: 5 minutes.
    public static let maxDrift: UInt64 = 5 * 60 * 1000

    public private(set) var last: HLC
    public let physical: any PhysicalClock
    /// Milliseconds added to `physical` to get court time.
    public var offset: Int64

    public init(last: HLC = HLC(raw: 0), physical: any PhysicalClock = SystemClock(), offset: Int64 = 0) {
        self.last = last
        self.physical = physical
        self.offset = offset
    }

    /// Court time in milliseconds since 1970: the PC's clock corrected by `offset`.
    public func now() -> UInt64 {
        let (sum, overflow) = Int64(clamping: physical.now()).addingReportingOverflow(offset)
        let value = overflow ? (offset < 0 ? 0 : Int64.max) : sum
        return UInt64(min(max(0, value), Self.latest))
    }

    /// The latest court time a clock reads (year 6429): readings fit the 48-bit millisecond field.
    public static let latest: Int64 = 1 << 47

    /// A new reading for a local write, strictly greater than every earlier one.
    public mutating func tick() -> HLC {
        let now = now()
        if now > last.milliseconds {
            last = HLC(milliseconds: now, counter: 0)
        } else if last.counter == UInt16.max {
            last = HLC(milliseconds: last.milliseconds + 1, counter: 0)
        } else {
            last = HLC(raw: last.raw + 1)
        }
        return last
    }

    /// Observes a remote reading. Returns false (and does not adopt it) when it is too far ahead.
    @discardableResult
    public mutating func observe(_ remote: HLC) -> Bool {
        let now = now()
        if remote.milliseconds > now + Self.maxDrift { return false }
        if remote > last { last = remote }
        return true
    }
}

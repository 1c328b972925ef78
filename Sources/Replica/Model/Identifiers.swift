import Foundation

/// A 128-bit random identifier (node, origin or record), shown as 32 lowercase hex digits.
public struct ID128: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A fresh random identifier (system CSPRNG).
    public static func random() -> ID128 {
        var generator = SystemRandomNumberGenerator()
        return ID128(high: generator.next(), low: generator.next())
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
        }
        self.init(high: high, low: low)
    }

    public init?(hex: String) {
        guard hex.utf8.count == 32, let high = UInt64(hex.prefix(16), radix: 16),
            let low = UInt64(hex.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    public var hex: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<16 {
                let word = i < 8 ? high : low
                let byte = UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (i % 8)))
                buffer[2 * i] = digits.utf8Start[Int(byte >> 4)]
                buffer[2 * i + 1] = digits.utf8Start[Int(byte & 0xF)]
            }
            return 32
        }
    }

    /// The first eight hex digits, enough to tell records apart on one screen.
    public var short: String { String(hex.prefix(8)) }

    public var description: String { hex }

    public static func < (a: ID128, b: ID128) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

public typealias NodeID = ID128
public typealias OriginID = ID128
public typealias RecordID = ID128

/// Names one operation: its origin log and its position in it.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var origin: OriginID
    public var seq: UInt64

    public init(origin: OriginID, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    public var description: String { "\(origin.short):\(seq)" }

    public static func < (a: OpID, b: OpID) -> Bool { (a.origin, a.seq) < (b.origin, b.seq) }
}

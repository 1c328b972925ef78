import Replica
import ReplicaTesting
import Testing

/// The hybrid logical clock: strictly rising local readings whatever the PC's clock does.
@Suite("Hybrid logical clock") struct HybridClockTests {
    let t = ManualClock.start

    @Test func readingPacksMillisecondsAndCounter() {
        let h = HLC(milliseconds: t, counter: 0xBEEF)
        #expect(h.milliseconds == t)
        #expect(h.counter == 0xBEEF)
        #expect(h.raw == t << 16 | 0xBEEF)
        #expect(HLC(milliseconds: t, counter: .max) < HLC(milliseconds: t + 1, counter: 0))
        #expect(HLC(milliseconds: t, counter: 1) > HLC(milliseconds: t, counter: 0))
    }

    @Test func tickFollowsPhysicalTimeWhenItMoves() {
        let physical = ManualClock(t)
        var clock = HybridClock(physical: physical)
        #expect(clock.tick() == HLC(milliseconds: t, counter: 0))
        physical.advance(by: 250)
        #expect(clock.tick() == HLC(milliseconds: t + 250, counter: 0))
    }

    @Test func tickRisesWhenPhysicalTimeStandsStill() {
        var clock = HybridClock(physical: ManualClock(t))
        var last = clock.tick()
        for i in 1...2_000 {
            let next = clock.tick()
            #expect(next > last, "tick \(i)")
            last = next
        }
        #expect(last == HLC(milliseconds: t, counter: 2_000), "the counter carries the order within one millisecond")
    }

    @Test func tickRisesWhenPhysicalTimeGoesBackwards() {
        let physical = ManualClock(t)
        var clock = HybridClock(physical: physical)
        let before = clock.tick()
        physical.rewind(by: 3_600_000)
        let after = clock.tick()
        #expect(after > before)
        #expect(after.milliseconds == before.milliseconds)
        physical.set(0)
        #expect(clock.tick() > after)
    }

    @Test func counterOverflowRollsIntoMilliseconds() {
        var clock = HybridClock(last: HLC(milliseconds: t, counter: .max - 1), physical: ManualClock(t))
        #expect(clock.tick() == HLC(milliseconds: t, counter: .max))
        #expect(clock.tick() == HLC(milliseconds: t + 1, counter: 0))
        #expect(clock.tick() == HLC(milliseconds: t + 1, counter: 1))
    }

    @Test func observeAdoptsALaterRemoteReading() {
        var clock = HybridClock(physical: ManualClock(t))
        _ = clock.tick()
        let remote = HLC(milliseconds: t + 60_000, counter: 9)
        let adopted = clock.observe(remote)
        #expect(adopted)
        #expect(clock.last == remote)
        #expect(clock.tick() > remote)
    }

    @Test func observeKeepsALaterLocalReading() {
        var clock = HybridClock(physical: ManualClock(t))
        let local = clock.tick()
        let accepted = clock.observe(HLC(milliseconds: t - 1_000, counter: 3))
        #expect(accepted, "an earlier reading is fine, it just changes nothing")
        #expect(clock.last == local)
    }

    @Test func observeRefusesMoreThanMaxDriftAhead() {
        var clock = HybridClock(physical: ManualClock(t))
        let local = clock.tick()
        let justBeyond = clock.observe(HLC(milliseconds: t + HybridClock.maxDrift + 1, counter: 0))
        let yearsAhead = clock.observe(HLC(milliseconds: t + 10 * 365 * 86_400_000, counter: 0))
        #expect(!justBeyond && !yearsAhead)
        #expect(clock.last == local, "a refused reading is not adopted")
        let edge = HLC(milliseconds: t + HybridClock.maxDrift, counter: 5)
        let atTheEdge = clock.observe(edge)
        #expect(atTheEdge, "exactly maxDrift ahead is still adopted")
        #expect(clock.last == edge)
    }

    /// Random physical jumps, ticks and remote readings: every tick is above every earlier
    /// tick and every adopted reading.
    @Test(arguments: 1...5 as ClosedRange<UInt64>)
    func randomHistoriesKeepTicksRising(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let physical = ManualClock(t)
        var clock = HybridClock(physical: physical)
        var floor = HLC(raw: 0)
        for step in 0..<5_000 {
            switch rng.below(6) {
            case 0: physical.advance(by: UInt64(rng.below(5_000)))
            case 1: physical.rewind(by: UInt64(rng.below(5_000)))
            case 2:
                let remote = HLC(milliseconds: physical.now() + UInt64(rng.below(Int(HybridClock.maxDrift) * 2)) - HybridClock.maxDrift / 2, counter: UInt16(rng.below(10)))
                if clock.observe(remote) {
                    #expect(remote.milliseconds <= physical.now() + HybridClock.maxDrift)
                    if remote > floor { floor = remote }
                } else {
                    #expect(remote.milliseconds > physical.now() + HybridClock.maxDrift)
                }
            default:
                let reading = clock.tick()
                #expect(reading > floor, "seed \(seed) step \(step)")
                floor = reading
            }
        }
    }
}

/// The replica's clock survives a reopen: a PC whose clock was set back never writes a lower reading.
@Suite("Replica clock") final class ReplicaClockTests {
    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    @Test func writesRiseAcrossReopenWithAClockSetBack() throws {
        let physical = ManualClock()
        let replica = try sandbox.replica("a", role: .stafTI, clock: physical)
        let first = try replica.commit([.comment(record: ID128(high: 1, low: 1), text: "one")])[0].hlc
        let stuck = try replica.commit((0..<50).map { .comment(record: ID128(high: 1, low: 1), text: "n\($0)") })
        #expect(zip([first] + stuck.map(\.hlc), stuck.map(\.hlc)).allSatisfy { $0 < $1 })
        let behind = ManualClock(ManualClock.start - 86_400_000)
        let reopened = try sandbox.reopen("a", clock: behind)
        let later = try reopened.commit([.comment(record: ID128(high: 1, low: 1), text: "after")])[0]
        #expect(later.hlc > stuck.last!.hlc)
    }
}

@Suite("Court time offset") struct CourtTimeOffsetTests {
    @Test func offsetCorrectsThePhysicalClockAndStaysInRange() {
        let physical = ManualClock(ManualClock.start)
        var clock = HybridClock(physical: physical, offset: -60_000)
        #expect(clock.now() == ManualClock.start - 60_000)
        #expect(clock.tick().milliseconds == ManualClock.start - 60_000)
        // Offsets that would leave the 48-bit field or go before 1970 are clamped, never trap.
        clock.offset = .max
        #expect(clock.now() == UInt64(HybridClock.latest))
        clock.offset = .min
        #expect(clock.now() == 0)
        // A correction back in time never makes a stamp go back.
        clock.offset = 0
        let high = clock.tick()
        clock.offset = -3_600_000
        #expect(clock.tick() > high)
    }
}

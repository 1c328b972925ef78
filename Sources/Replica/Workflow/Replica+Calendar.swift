import Foundation

/// The court's working time as this replica measures SOP time standards in it.
///
/// The zone is a local setting of the node (meta `court_zone`, WIB until set); office hours are
/// the government defaults and closed days the shipped national holidays and cuti bersama.
extension Replica {
    /// The court's time zone.
    public var courtZone: CourtZone {
        (try? db.cached("SELECT value FROM meta WHERE key = 'court_zone'").first { $0.optionalText(0) })
            .flatMap { $0 }.flatMap(CourtZone.init(name:)) ?? .wib
    }

    public func setCourtZone(_ zone: CourtZone) throws {
        try db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES ('court_zone', ?)").bind(.text(zone.rawValue)).run()
    }

    /// The calendar time standards are measured in.
    public var workingCalendar: WorkingCalendar { WorkingCalendar(zone: courtZone) }
}

import Foundation

/// The data files Sinkron ships: the SOP templates and the calendar of holidays.
///
/// They live in a target of their own because the generated `Bundle.module` accessor cannot
/// compile inside Replica, whose bundle-file type is also named `Bundle`.
public enum ReplicaResources {
    /// The contents of a shipped file, or nil when the installation lacks it.
    public static func data(_ name: String, extension ext: String) -> Data? {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext) else { return nil }
        return try? Data(contentsOf: url)
    }
}

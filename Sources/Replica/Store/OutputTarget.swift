import Foundation

/// A file a command is about to write (a bundle, a backup, an invitation), checked before any
/// work is done and written so that no file is ever destroyed or left half-written: into a new
/// temporary file in the target's folder (mode 0600, whatever the umask), synced, then renamed
/// over the target.
///
/// Refused: an existing target unless `force`; any target that is not a regular file (a folder,
/// a symlink, a FIFO, a device) even with `force`; and any path inside a replica's home, which
/// holds the database and its WAL.
struct OutputTarget {
    let path: String

    init(_ path: String, force: Bool, replicaHome: String?) throws {
        guard !path.isEmpty else { throw ReplicaError(.invalidInput, "no file name given", hint: "name the file to write") }
        self.path = path
        var st = stat()
        if lstat(path, &st) == 0 {
            let type = st.st_mode & S_IFMT
            guard type == S_IFREG else {
                let what =
                    switch type {
                    case S_IFDIR: "a folder"
                    case S_IFLNK: "a symbolic link"
                    case S_IFIFO: "a FIFO"
                    case S_IFCHR, S_IFBLK: "a device"
                    case S_IFSOCK: "a socket"
                    default: "not a regular file"
                    }
                throw ReplicaError(.invalidInput, "\(path) is \(what); sinkron writes only regular files", hint: "choose a new file name")
            }
        }
        let folder = (path as NSString).deletingLastPathComponent
        let parent = Self.resolved(folder.isEmpty ? "." : folder)
        guard let parent else {
            throw ReplicaError(.notFound, "the folder of \(path) does not exist", hint: "create the folder first, or choose another path")
        }
        let homes = [replicaHome.flatMap(Self.resolved)].compactMap { $0 }
        if homes.contains(where: { parent == $0 || parent.hasPrefix($0 + "/") })
            || FileManager.default.fileExists(atPath: Replica.databasePath(home: parent))
        {
            throw ReplicaError(.invalidInput, "\(path) is inside a replica's home folder, which holds its database", hint: "write the file elsewhere, e.g. on the flash disk")
        }
        if lstat(path, &st) == 0, !force {
            throw ReplicaError(.alreadyExists, "\(path) already exists", hint: "choose a new file name, or pass --force to replace it")
        }
    }

    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Writes `bytes` to a new temporary file beside the target, syncs it, and renames it into place.
    func write(_ bytes: [UInt8]) throws {
        try write { fd in
            var offset = 0
            return bytes.withUnsafeBytes { raw -> Bool in
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
        }
    }

    /// A temporary path beside the target for a writer that makes its own file (SQLite's
    /// backup), then `commit(temporary:)` to move it into place.
    func temporaryPath() -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = ".\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    /// Creates a new, empty temporary file beside the target (0600, never an existing one) and
    /// returns its path with its open descriptor.
    func createTemporary() throws -> (path: String, fd: Int32) {
        let temporary = temporaryPath()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw ReplicaError(.storage, "cannot write \(path): \(String(cString: strerror(errno)))", hint: "check the path and free space")
        }
        fchmod(fd, 0o600)
        return (temporary, fd)
    }

    func commit(temporary: String) throws {
        chmod(temporary, 0o600)
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ReplicaError(.storage, "cannot write \(path): \(reason)", hint: "check the folder's permissions and free space")
        }
    }

    private func write(_ body: (Int32) -> Bool) throws {
        let (temporary, fd) = try createTemporary()
        let ok = body(fd) && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok else {
            unlink(temporary)
            throw ReplicaError(.storage, "cannot write \(path): \(reason)", hint: "check free space; nothing was left behind")
        }
        try commit(temporary: temporary)
    }
}

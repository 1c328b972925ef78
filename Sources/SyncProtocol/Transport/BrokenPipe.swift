#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A write to a socket whose peer has hung up raises SIGPIPE, whose default action ends the
/// process: one peer that closes at the wrong moment would stop the daemon and every desk's sync.
/// The daemon and the client ignore it for the whole process (the write then fails with EPIPE,
/// which closes that connection only); `TCPConnection.write` also sends with `MSG_NOSIGNAL`
/// whenever libuv's queue is empty, so most writes cannot raise it at all.
public enum BrokenPipe {
    /// Sets SIGPIPE to ignored for the process. Idempotent; safe from any thread.
    public static func ignore() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}

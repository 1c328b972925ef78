import Logging
import Replica

/// `sinkron sync`: one session as the dialing side, on the calling thread's own event loop.
public enum SyncClient {
    /// Opens the replica in `home`, connects to `address`, runs one session and returns what it
    /// did. Throws when no connection could be made; a session that fails returns `ok == false`.
    public static func run(
        home: String, address: PeerAddress, config: SessionConfig = SessionConfig(), connectTimeout: UInt64 = 10_000,
        logger: Logger = Logger(label: "sinkron.sync"), progress: ((SyncProgress) -> Void)? = nil
    ) throws -> SessionSummary {
        BrokenPipe.ignore()
        let replica = try Replica(home: home)
        let loop = try EventLoop()
        var outcome: Result<SessionSummary, SyncError>?
        let timeout = LoopTimer(loop: loop) {
            outcome = .failure(SyncError(.timeout, "cannot connect to \(address): no answer within \(connectTimeout / 1000) s", hint: "check the address and that the peer is on"))
            loop.stop()
        }
        timeout.start(after: connectTimeout)
        TCPConnection.connect(loop: loop, to: address) { result in
            timeout.close()
            switch result {
            case .failure(let error):
                outcome = .failure(error)
                loop.stop()
            case .success(let connection):
                let sync = SyncConnection(
                    connection: connection, replica: replica, direction: .outbound, config: config, clock: MonotonicClock(), logger: logger,
                    onProgress: progress
                ) { summary in
                    outcome = .success(summary)
                }
                // Stop once the socket is closed: the last frames have been flushed by then.
                sync.onClosed = { loop.stop() }
                sync.start()
            }
        }
        loop.run()
        switch outcome {
        case .success(let summary): return summary
        case .failure(let error): throw error
        case nil: throw SyncError(.shutdown, "the sync was interrupted")
        }
    }
}

import Logging
import Replica

/// One session over one TCP connection: bytes to the driver, frames to the socket, a ticker for
/// the timeouts. Lives on the loop thread; kept alive by the connection's callbacks.
public final class SyncConnection: SessionTransport {
    public let connection: TCPConnection
    public let driver: SessionDriver
    private let ticker: LoopTimer
    /// The socket is closed (after the session ended and its last frames were flushed).
    public var onClosed: (() -> Void)?

    public init(
        connection: TCPConnection, replica: Replica, direction: SessionSummary.Direction, config: SessionConfig, clock: any SyncClock,
        logger: Logger, onProgress: ((SyncProgress) -> Void)? = nil, onEnd: @escaping (SessionSummary) -> Void
    ) {
        self.connection = connection
        driver = SessionDriver(store: replica, direction: direction, address: connection.remoteAddress, config: config, clock: clock, logger: logger)
        let driver = driver
        ticker = LoopTimer(loop: connection.loop) { [weak driver] in driver?.tick() }
        driver.transport = self
        driver.onProgress = onProgress
        let ticker = ticker
        driver.onEnd = { summary in
            ticker.close()
            onEnd(summary)
        }
    }

    /// Starts reading and says hello.
    public func start() {
        connection.onRead = { [self] bytes in driver.received(bytes) }
        connection.onClose = { [self] error in
            driver.transportClosed(error)
            ticker.close()
            onClosed?()
            onClosed = nil
        }
        connection.startReading()
        ticker.start(after: 250, every: 250)
        driver.start()
    }

    public func write(_ bytes: [UInt8]) { connection.write(bytes) }

    public func close() { connection.closeGracefully() }
}

import CLibUV

/// A libuv timer on the loop thread.
public final class LoopTimer: LoopHandle {
    private let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_timer_t>?
    private let body: () -> Void

    public init(loop: EventLoop, _ body: @escaping () -> Void) {
        self.loop = loop
        self.body = body
        let handle = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.loop, handle)
        self.handle = handle
        uv_handle_set_data(asHandle(handle), Unmanaged.passRetained(self).toOpaque())
        loop.register(self)
    }

    /// Fires after `delay` ms, then every `interval` ms when it is not zero.
    public func start(after delay: UInt64, every interval: UInt64 = 0) {
        guard let handle else { return }
        uv_timer_start(handle, { timer in
            guard let timer, let data = uv_handle_get_data(asHandle(timer)) else { return }
            Unmanaged<LoopTimer>.fromOpaque(data).takeUnretainedValue().body()
        }, delay, interval)
    }

    public func stop() {
        if let handle { uv_timer_stop(handle) }
    }

    public func close() {
        guard let handle else { return }
        self.handle = nil
        loop.unregister(self)
        closeOwnedHandle(handle)
    }
}

/// SIGINT/SIGTERM (or any signal) delivered on the loop thread.
public final class SignalWatcher: LoopHandle {
    private let loop: EventLoop
    private var handle: UnsafeMutablePointer<uv_signal_t>?
    private let body: (Int32) -> Void

    public init(loop: EventLoop, signal: Int32, _ body: @escaping (Int32) -> Void) {
        self.loop = loop
        self.body = body
        let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
        uv_signal_init(loop.loop, handle)
        self.handle = handle
        uv_handle_set_data(asHandle(handle), Unmanaged.passRetained(self).toOpaque())
        loop.register(self)
        uv_signal_start(handle, { h, signal in
            guard let h, let data = uv_handle_get_data(asHandle(h)) else { return }
            Unmanaged<SignalWatcher>.fromOpaque(data).takeUnretainedValue().body(signal)
        }, signal)
    }

    public func close() {
        guard let handle else { return }
        self.handle = nil
        loop.unregister(self)
        closeOwnedHandle(handle)
    }
}

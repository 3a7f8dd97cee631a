import Foundation
import GatewayCore
import IEC61850Model
import Logging
import Synchronization

/// Polls the devices of one Modbus line on a thread of its own, one request at a time, and hands the
/// readings of each poll to `deliver`.
///
/// A line is one TCP device, or every RTU unit on one serial port (which shares one open port). Each
/// device keeps its own schedule, timeout and state: a device that fails is marked down, its points are
/// reported as failed once, and it is skipped until its retry time, so a dead unit costs its line one
/// timeout per retry period and never stalls the other units.
///
/// @unchecked Sendable: the connection and the schedules are touched by the poller thread only; the
/// write queue is behind `jobs`.
public final class ModbusPoller: @unchecked Sendable {
    /// The devices on this line, in the configuration's order.
    public let devices: [GatewayConfiguration.ModbusDevice]
    private let plans: [ModbusPollPlan]
    private let deliver: @Sendable ([FieldReading]) -> Void
    private let logger: Logger
    private let worker = WorkerThread()
    /// The devices that answered their last request (the link state).
    private let answering = Mutex<Set<String>>([])
    /// Each device's link state and counters, in `devices` order (for the operations side and metrics).
    let monitors: [LinkMonitor]
    /// The device whose poll holds the line now, if any.
    private let polling = Mutex<String?>(nil)
    private let wake = DispatchSemaphore(value: 0)
    private let jobs = NSLock()
    private var pendingWrites: [Write] = []

    private var nextWrite: UInt64 = 0
    /// Commissioning reads and writes (``probe(_:count:writing:)``) waiting for the line.
    private var pendingProbes: [Probe] = []

    private struct Probe {
        let device: Int
        /// Runs on the line's thread; returns the error that broke the line, if one did.
        let run: (ModbusConnection) -> ModbusError?
        let fail: (ModbusError) -> Void
    }

    private struct Write {
        let id: UInt64
        let device: Int
        let destination: GatewayConfiguration.ModbusAddress
        let value: FieldValue
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// The lines of a configuration: each TCP device alone, RTU devices grouped by serial port.
    public static func lines(_ devices: [GatewayConfiguration.ModbusDevice]) -> [[GatewayConfiguration.ModbusDevice]] {
        var lines: [[GatewayConfiguration.ModbusDevice]] = []
        var serial: [String: Int] = [:]
        for device in devices {
            if let path = device.serialPort {
                if let index = serial[path] {
                    lines[index].append(device)
                    continue
                }
                serial[path] = lines.count
            }
            lines.append([device])
        }
        return lines
    }

    /// `devices`: one line (see `lines`); `points`: all the configuration's points (a reading names a
    /// point by its position there).
    public init(
        line devices: [GatewayConfiguration.ModbusDevice], points: [GatewayConfiguration.Point], logger: Logger,
        deliver: @escaping @Sendable ([FieldReading]) -> Void
    ) {
        precondition(!devices.isEmpty, "a line has at least one device")
        self.devices = devices
        self.plans = devices.map { ModbusPollPlan(device: $0, points: points) }
        self.deliver = deliver
        self.monitors = devices.map { device in
            let address =
                switch device.transport {
                case .tcp(let host, let port): "\(host):\(port) unit \(device.unit)"
                case .rtu(let path, _, _, _, _, _): "\(path) unit \(device.unit)"
                }
            return LinkMonitor(source: "modbus \(device.name)", device: device.name, kind: "modbus", address: address)
        }
        var logger = logger
        logger[metadataKey: "line"] = "\(Self.lineName(devices[0]))"
        self.logger = logger
    }

    /// The line's address (`10.0.0.5:502`, `/dev/ttyUSB0`).
    var lineName: String { Self.lineName(devices[0]) }

    /// The devices that answered their last request.
    var answeringDevices: Set<String> { answering.withLock { $0 } }

    /// The device being polled at this moment (its requests hold the line), if any.
    package var deviceBeingPolled: String? { polling.withLock { $0 } }

    private static func lineName(_ device: GatewayConfiguration.ModbusDevice) -> String {
        switch device.transport {
        case .tcp(let host, let port): "\(host):\(port)"
        case .rtu(let path, _, _, _, _, _): path
        }
    }

    public func start() {
        worker.start(name: "modbus-\(devices[0].name)") { [self] in run() }
    }

    /// Stops polling; returns once the thread has ended (at most one request timeout later).
    public func stop() {
        worker.stop()
        wake.signal()
        failPendingWrites(ModbusError(operation: "write", message: "the gateway is stopping"))
    }

    /// Writes a value to a device of this line, between two requests on the line. A failed write is
    /// reported, never retried: a command must not reach the field twice. When the calling task is
    /// cancelled (the command's answer went out) while the write still waits for the line, it is dropped
    /// and throws `CancellationError`: it is never sent late.
    public func write(device name: String, _ destination: GatewayConfiguration.ModbusAddress, _ value: FieldValue) async throws {
        guard let device = devices.firstIndex(where: { $0.name == name }) else {
            throw ModbusError(operation: "write", message: "no device \(name) on this line")
        }
        let id = jobs.withLock {
            nextWrite += 1
            return nextWrite
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                jobs.lock()
                guard !Task.isCancelled else {
                    jobs.unlock()
                    continuation.resume(throwing: CancellationError())
                    return
                }
                pendingWrites.append(Write(id: id, device: device, destination: destination, value: value, continuation: continuation))
                jobs.unlock()
                wake.signal()
            }
        } onCancel: {
            jobs.lock()
            let dropped = pendingWrites.firstIndex { $0.id == id }.map { pendingWrites.remove(at: $0) }
            jobs.unlock()
            dropped?.continuation.resume(throwing: CancellationError())
        }
    }

    /// After a stop for the peer of a redundant pair: no device counts as answering, and every point of
    /// the line is reported as not read.
    func releaseLine() {
        answering.withLock { $0.removeAll() }
        let time = Timestamp.now()
        deliver(plans.flatMap(\.groups).flatMap(\.blocks).flatMap(\.members).map { FieldReading(point: $0.point, value: nil, time: time) })
    }

    private func takeWrites() -> [Write] {
        jobs.lock()
        defer {
            pendingWrites.removeAll()
            jobs.unlock()
        }
        return pendingWrites
    }

    private func failPendingWrites(_ error: ModbusError) {
        for write in takeWrites() { write.continuation.resume(throwing: error) }
        let probes = jobs.withLock {
            defer { pendingProbes.removeAll() }
            return pendingProbes
        }
        for probe in probes { probe.fail(error) }
    }

    /// The line's connection, opened on first use and reopened after it broke.
    private var connection: ModbusConnection?

    private func connected(to device: GatewayConfiguration.ModbusDevice) throws(ModbusError) -> ModbusConnection {
        if connection == nil { connection = try ModbusConnection(device) }
        try connection!.connect()
        connection!.select(device)
        return connection!
    }

    /// After a failed request: a TCP connection is closed (the next request reconnects); a serial port
    /// stays open for the other units unless the port itself failed.
    private func recover(after error: ModbusError) {
        guard let connection else { return }
        if connection.isSerial && error.concernsDeviceOnly {
            connection.flush()
        } else {
            connection.close()
        }
    }

    /// The oldest queued write, taken off the queue: one at a time, so a write whose command is cancelled
    /// while an earlier one runs is still found and dropped by its cancellation.
    private func takeWrite() -> Write? {
        jobs.withLock { pendingWrites.isEmpty ? nil : pendingWrites.removeFirst() }
    }

    /// Runs the queued writes on the line's connection.
    private func performWrites() {
        while let write = takeWrite() {
            let device = devices[write.device]
            let destination = write.destination
            do throws(ModbusError) {
                try ModbusProbe.write(destination, write.value, device: device, on: try connected(to: device))
                logger.info(
                    "wrote",
                    metadata: [
                        "device": "\(device.name)", "table": "\(destination.table.rawValue)", "address": "\(destination.address)",
                        "value": "\(write.value)",
                    ])
                monitors[write.device].wrote()
                write.continuation.resume()
            } catch {
                monitors[write.device].writeFailed("\(error)")
                recover(after: error)
                logger.warning("write failed", metadata: ["device": "\(device.name)", "error": "\(error)"])
                write.continuation.resume(throwing: error)
            }
        }
    }

    /// Reads `count` values at `address` (after writing `value`, when given) between two polls on the
    /// line: the commissioning read and write of a running gateway (the HTTP API), which must not open a
    /// second connection to a device that takes one, or a serial port a poller holds.
    public func probe(
        _ address: GatewayConfiguration.ModbusAddress, count: Int = 1, writing value: FieldValue? = nil
    ) async throws -> ModbusProbe.Reading {
        guard let index = devices.firstIndex(where: { $0.name == address.device }) else {
            throw ModbusError(operation: "read", message: "no device \(address.device) on this line")
        }
        guard isRunning else { throw ModbusError(operation: "read", message: "the line is not polled (the gateway is stopping)") }
        let device = devices[index]
        return try await withCheckedThrowingContinuation { continuation in
            let probe = Probe(
                device: index,
                run: { connection in
                    do throws(ModbusError) {
                        if let value { try ModbusProbe.write(address, value, device: device, on: connection) }
                        continuation.resume(returning: try ModbusProbe.read(address, count: count, device: device, on: connection))
                        return nil
                    } catch {
                        continuation.resume(throwing: error)
                        return error
                    }
                }, fail: { continuation.resume(throwing: $0) })
            jobs.withLock { pendingProbes.append(probe) }
            wake.signal()
        }
    }

    /// Runs the queued probes on the line's connection.
    private func performProbes() {
        let probes = jobs.withLock {
            defer { pendingProbes.removeAll() }
            return pendingProbes
        }
        for probe in probes {
            do throws(ModbusError) {
                let connection = try connected(to: devices[probe.device])
                if let error = probe.run(connection) { recover(after: error) }
            } catch {
                recover(after: error)
                probe.fail(error)
            }
        }
    }

    private var isRunning: Bool { worker.isRunning }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// One device's place in the line's schedule.
    private struct Schedule {
        /// When each poll group is next due (one entry for a device that is only written to).
        var due: [UInt64]
        var down = false
        var retryAt: UInt64 = 0
    }

    private func run() {
        let start = Self.now()
        var schedules = plans.map { Schedule(due: [UInt64](repeating: start, count: max($0.groups.count, 1))) }
        while isRunning {
            performWrites()
            performProbes()
            // The most overdue poll group of any device on the line goes next.
            var next: (device: Int, group: Int, at: UInt64)?
            for (device, schedule) in schedules.enumerated() {
                for (group, at) in schedule.due.enumerated() where next == nil || at < next!.at { next = (device, group, at) }
            }
            let (device, group, at) = next!
            let now = Self.now()
            if at > now {
                // Sleep until the next poll, a write, or at most 50 ms (to see stop()).
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(min(at - now, 50_000_000))))
                continue
            }
            let plan = plans[device]
            guard group < plan.groups.count else {  // a device that is only written to
                schedules[device].due[group] = now + 3_600_000_000_000
                continue
            }
            let interval = UInt64(plan.groups[group].intervalMilliseconds) * 1_000_000
            schedules[device].due[group] = max(at + interval, now)
            if schedules[device].down && now < schedules[device].retryAt { continue }
            poll(device, group: group, schedule: &schedules[device])
        }
        failPendingWrites(ModbusError(operation: "write", message: "the gateway is stopping"))
        connection?.close()
        connection = nil
    }

    private func poll(_ index: Int, group: Int, schedule: inout Schedule) {
        let device = devices[index]
        polling.withLock { $0 = device.name }
        defer { polling.withLock { $0 = nil } }
        let plan = plans[index]
        do throws(ModbusError) {
            let connection = try connected(to: device)
            var readings: [FieldReading] = []
            readings.reserveCapacity(plan.groups[group].pointCount)
            for block in plan.groups[group].blocks {
                let time = Timestamp.now()
                let started = ContinuousClock.now
                if block.table.isBits {
                    let bits = try connection.readBits(block.table, address: block.start, count: block.count)
                    ModbusPollPlan.decode(block, bits: bits, time: time, into: &readings)
                } else {
                    let registers = try connection.readRegisters(block.table, address: block.start, count: block.count)
                    ModbusPollPlan.decode(block, registers: registers, time: time, into: &readings)
                }
                monitors[index].answered(roundTrip: ContinuousClock.now - started)
            }
            if schedule.down { logger.notice("device answers again", metadata: ["device": "\(device.name)"]) }
            schedule.down = false
            answering.withLock { _ = $0.insert(device.name) }
            deliver(readings)
        } catch {
            recover(after: error)
            monitors[index].failed("\(error)")
            answering.withLock { _ = $0.remove(device.name) }
            if !schedule.down {
                logger.warning(
                    "device failed; its points turn invalid",
                    metadata: ["device": "\(device.name)", "error": "\(error)", "retryMs": "\(device.retryMilliseconds)"])
                let time = Timestamp.now()
                deliver(plan.groups.flatMap(\.blocks).flatMap(\.members).map { FieldReading(point: $0.point, value: nil, time: time) })
            }
            schedule.down = true
            schedule.retryAt = Self.now() + UInt64(device.retryMilliseconds) * 1_000_000
        }
    }
}

import Foundation
import GatewayCore
import IEC61850Model
import Logging

/// Polls one Modbus device on a thread of its own (one request at a time on its line), and hands the
/// readings of each poll to `deliver`. A device that fails is marked down, its points are reported as
/// failed once, and it is tried again after its retry time, without stalling any other device.
///
/// @unchecked Sendable: the connection and the schedule are touched by the poller thread only.
public final class ModbusPoller: @unchecked Sendable {
    public let device: GatewayConfiguration.ModbusDevice
    public let plan: ModbusPollPlan
    private let deliver: @Sendable ([FieldReading]) -> Void
    private let logger: Logger
    private let worker = WorkerThread()
    private let wake = DispatchSemaphore(value: 0)
    private let jobs = NSLock()
    private var pendingWrites: [(GatewayConfiguration.ModbusAddress, FieldValue, CheckedContinuation<Void, any Error>)] = []

    public init(
        device: GatewayConfiguration.ModbusDevice, points: [(Int, GatewayConfiguration.Point)], logger: Logger,
        deliver: @escaping @Sendable ([FieldReading]) -> Void
    ) {
        self.device = device
        self.plan = ModbusPollPlan(device: device, points: points)
        self.deliver = deliver
        var logger = logger
        logger[metadataKey: "device"] = "\(device.name)"
        self.logger = logger
    }

    public func start() {
        worker.start(name: "modbus-\(device.name)") { [self] in run() }
    }

    /// Stops polling; returns once the thread has ended (at most one request timeout later).
    public func stop() {
        worker.stop()
        wake.signal()
        failPendingWrites(ModbusError(operation: "write", message: "the gateway is stopping"))
    }

    /// Writes a value to the device, between two polls on its line (one request at a time). A failed
    /// write is reported, never retried: a command must not reach the field twice.
    public func write(_ destination: GatewayConfiguration.ModbusAddress, _ value: FieldValue) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            jobs.lock()
            pendingWrites.append((destination, value, continuation))
            jobs.unlock()
            wake.signal()
        }
    }

    private func takeWrites() -> [(GatewayConfiguration.ModbusAddress, FieldValue, CheckedContinuation<Void, any Error>)] {
        jobs.lock()
        defer {
            pendingWrites.removeAll()
            jobs.unlock()
        }
        return pendingWrites
    }

    private func failPendingWrites(_ error: ModbusError) {
        for (_, _, continuation) in takeWrites() { continuation.resume(throwing: error) }
    }

    /// Runs the queued writes on this thread's connection.
    private func performWrites(_ connection: inout ModbusConnection?) {
        for (destination, value, continuation) in takeWrites() {
            do throws(ModbusError) {
                if connection == nil { connection = try ModbusConnection(device) }
                try connection!.connect()
                let address = destination.address - device.addressing
                if destination.table == .coil {
                    try connection!.writeCoil(address: address, (value.number ?? 0) != 0)
                } else if let registers = ModbusRegisterCodec.encode(
                    value, as: destination.type, byteOrder: destination.byteOrder ?? device.byteOrder, wordOrder: destination.wordOrder ?? device.wordOrder)
                {
                    try connection!.writeRegisters(address: address, registers)
                } else {
                    throw ModbusError(
                        operation: "write \(destination.table.rawValue) \(destination.address)", message: "\(value) does not fit \(destination.type)")
                }
                logger.info("wrote", metadata: ["table": "\(destination.table.rawValue)", "address": "\(destination.address)", "value": "\(value)"])
                continuation.resume()
            } catch {
                connection?.close()
                logger.warning("write failed", metadata: ["error": "\(error)"])
                continuation.resume(throwing: error)
            }
        }
    }

    private var isRunning: Bool { worker.isRunning }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func run() {
        var connection: ModbusConnection?
        var due = [UInt64](repeating: Self.now(), count: max(plan.groups.count, 1))
        var down = false
        var retryAt: UInt64 = 0
        while isRunning {
            performWrites(&connection)
            let index = due.indices.min { due[$0] < due[$1] }!
            let now = Self.now()
            if due[index] > now {
                // Sleep until the next poll, a write, or at most 50 ms (to see stop()).
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(min(due[index] - now, 50_000_000))))
                continue
            }
            guard index < plan.groups.count else {  // a device that is only written to
                due[index] = now + 50_000_000
                continue
            }
            let interval = UInt64(plan.groups[index].intervalMilliseconds) * 1_000_000
            due[index] = max(due[index] + interval, now)
            if down && now < retryAt { continue }
            do throws(ModbusError) {
                if connection == nil { connection = try ModbusConnection(device) }
                try connection!.connect()
                var readings: [FieldReading] = []
                for block in plan.groups[index].blocks {
                    let time = Timestamp.now()
                    let values =
                        block.table.isBits
                        ? ModbusPollPlan.decode(block, bits: try connection!.readBits(block.table, address: block.start, count: block.count))
                        : ModbusPollPlan.decode(block, registers: try connection!.readRegisters(block.table, address: block.start, count: block.count))
                    readings += values.map { FieldReading(point: $0.0, value: $0.1, time: time) }
                }
                if down { logger.notice("device answers again") }
                down = false
                deliver(readings)
            } catch {
                connection?.close()
                if !down {
                    logger.warning("device failed; its points turn invalid", metadata: ["error": "\(error)", "retryMs": "\(device.retryMilliseconds)"])
                    let time = Timestamp.now()
                    deliver(plan.groups.flatMap(\.blocks).flatMap(\.members).map { FieldReading(point: $0.point, value: nil, time: time) })
                }
                down = true
                retryAt = Self.now() + UInt64(device.retryMilliseconds) * 1_000_000
            }
        }
        failPendingWrites(ModbusError(operation: "write", message: "the gateway is stopping"))
        connection?.close()
    }
}

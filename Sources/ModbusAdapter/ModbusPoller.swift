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
    public func stop() { worker.stop() }

    private var isRunning: Bool { worker.isRunning }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func run() {
        guard !plan.groups.isEmpty else { return }
        var connection: ModbusConnection?
        var due = [UInt64](repeating: Self.now(), count: plan.groups.count)
        var down = false
        var retryAt: UInt64 = 0
        while isRunning {
            let index = due.indices.min { due[$0] < due[$1] }!
            let now = Self.now()
            if due[index] > now {
                usleep(UInt32(min(due[index] - now, 50_000_000) / 1000))  // wake at least every 50 ms to see stop()
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
        connection?.close()
    }
}

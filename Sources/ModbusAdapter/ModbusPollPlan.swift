import GatewayCore
import IEC61850Model

/// How a device's points are read: grouped by poll interval, contiguous addresses coalesced into block
/// reads within the protocol's limits (125 registers, 2000 bits per request).
public struct ModbusPollPlan: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let point: Int
        /// Offset in the block (registers or bits).
        public let offset: Int
        public let count: Int
        public let type: ModbusDataType
        public let bit: Int?
        public let byteOrder: Endianness
        public let wordOrder: Endianness
    }

    public struct Block: Sendable, Equatable {
        public let table: ModbusTable
        /// 0-based protocol address.
        public let start: Int
        public var count: Int
        public var members: [Member]
    }

    public struct Group: Sendable, Equatable {
        public let intervalMilliseconds: Int
        public var blocks: [Block]

        /// The number of points the group reads.
        public var pointCount: Int { blocks.reduce(0) { $0 + $1.members.count } }
    }

    public static let maximumRegisters = 125
    public static let maximumBits = 2000

    public let groups: [Group]

    /// `points`: all the configuration's points; those this device is the source of are read, and named by
    /// their position.
    public init(device: GatewayConfiguration.ModbusDevice, points: [GatewayConfiguration.Point]) {
        var byInterval: [Int: [(Int, GatewayConfiguration.ModbusAddress)]] = [:]
        for (index, point) in points.enumerated() {
            guard let source = point.modbus, source.device == device.name else { continue }
            byInterval[point.pollMilliseconds, default: []].append((index, source))
        }
        groups = byInterval.sorted { $0.key < $1.key }.map { interval, sources in
            var blocks: [Block] = []
            let entries = sources.sorted {
                ($0.1.table.rawValue, $0.1.address, $0.0) < ($1.1.table.rawValue, $1.1.address, $1.0)
            }
            for (index, source) in entries {
                let start = source.address - device.addressing
                let count = source.table.isBits ? 1 : source.type.registerCount(stringLength: source.length)
                let limit = source.table.isBits ? Self.maximumBits : Self.maximumRegisters
                if var last = blocks.last, last.table == source.table, start >= last.start, start <= last.start + last.count,
                    max(last.count, start + count - last.start) <= limit
                {
                    last.count = max(last.count, start + count - last.start)
                    last.members.append(Self.member(index, source, offset: start - last.start, count: count, device: device))
                    blocks[blocks.count - 1] = last
                } else {
                    blocks.append(
                        Block(table: source.table, start: start, count: count, members: [Self.member(index, source, offset: 0, count: count, device: device)]))
                }
            }
            return Group(intervalMilliseconds: interval, blocks: blocks)
        }
    }

    private static func member(
        _ index: Int, _ source: GatewayConfiguration.ModbusAddress, offset: Int, count: Int, device: GatewayConfiguration.ModbusDevice
    ) -> Member {
        Member(
            point: index, offset: offset, count: count, type: source.type, bit: source.bit, byteOrder: source.byteOrder ?? device.byteOrder,
            wordOrder: source.wordOrder ?? device.wordOrder)
    }

    /// Appends the readings of the points in a block that was read (registers or bits), taken at `time`.
    ///
    /// Into the caller's array: a device of 10,000 points answers in 80 blocks, and building an array per
    /// block and copying it on was a tenth of a 100,000-point gateway's CPU (with the page faults of the
    /// copies).
    public static func decode(_ block: Block, registers: [UInt16] = [], bits: [Bool] = [], time: Timestamp, into readings: inout [FieldReading]) {
        for member in block.members {
            let value: FieldValue
            if block.table.isBits {
                value = .bool(bits[member.offset])
            } else {
                value = ModbusRegisterCodec.decode(
                    registers[member.offset..<(member.offset + member.count)], as: member.type, byteOrder: member.byteOrder, wordOrder: member.wordOrder,
                    bit: member.bit)
            }
            readings.append(FieldReading(point: member.point, value: value, time: time))
        }
    }
}

/// Modbus RTU request framing, for the simulator's serial line: how long a request is and whether its
/// CRC holds.
enum RTUFrame {
    /// The length of the request at the start of `bytes` (unit, function, data, CRC), or nil when the
    /// function is not one of 1–6, 15, 16 or too little has arrived to tell.
    static func length(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        switch bytes[1] {
        case 1...6: return 8
        case 15, 16: return bytes.count >= 7 ? 9 + Int(bytes[6]) : nil
        default: return nil
        }
    }

    /// Whether the simulator answers this function code (reads 1–4, writes 5, 6, 15, 16).
    static func isServed(function: UInt8) -> Bool { (1...6).contains(function) || function == 15 || function == 16 }

    /// CRC-16/MODBUS over all but the last two octets, which hold it low octet first.
    static func crcIsValid(_ frame: [UInt8]) -> Bool {
        guard frame.count >= 4 else { return false }
        var crc: UInt16 = 0xFFFF
        for byte in frame.dropLast(2) {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return frame[frame.count - 2] == UInt8(crc & 0xFF) && frame[frame.count - 1] == UInt8(crc >> 8)
    }
}

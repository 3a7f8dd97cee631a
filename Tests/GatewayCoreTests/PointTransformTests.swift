import IEC61850Model
import Testing

@testable import GatewayCore

@Suite("Point transforms")
struct PointTransformTests {
    @Test("scaling and offset, then the attribute's type")
    func scaling() {
        let transform = PointTransform(scale: 0.1, offset: -40)
        #expect(transform.apply(.unsigned(650), to: .float32) == .success(.float32(25)))
        #expect(transform.apply(.unsigned(650), to: .int32) == .success(.integer(25)))
    }

    @Test("a value map turns Modbus 0/1/2/3 into Dbpos; an unmapped value is inconsistent")
    func valueMap() {
        let transform = PointTransform(valueMap: ["0": "intermediate", "1": "off", "2": "on", "3": "bad"])
        #expect(transform.apply(.unsigned(2), to: .dbpos) == .success(.integer(2)))
        #expect(transform.apply(.unsigned(1), to: .dbpos) == .success(.integer(1)))
        #expect(transform.apply(.unsigned(7), to: .dbpos) == .failure(.inconsistent))
    }

    @Test("inversion of a boolean; ranges of the target type")
    func inversionAndRanges() {
        #expect(PointTransform(invert: true).apply(.bool(true), to: .boolean) == .success(.boolean(false)))
        #expect(PointTransform().apply(.integer(300), to: .int8) == .failure(.outOfRange))
        #expect(PointTransform().apply(.integer(-1), to: .int32u) == .failure(.outOfRange))
        #expect(PointTransform().apply(.string("abc"), to: .float32) == .failure(.inconsistent))
        #expect(PointTransform().apply(.double(2.4), to: .int32) == .success(.integer(2)))
    }
}

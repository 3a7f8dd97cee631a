// swift-tools-version: 6.0
import PackageDescription

let nio: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")

let package = Package(
    name: "iec61850-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IEC61850Server", targets: ["IEC61850Server"]),
        .library(name: "IEC61850Model", targets: ["IEC61850Model"]),
        .library(name: "IEC61850Services", targets: ["IEC61850Services"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        // For applications' tests: a server's pipeline in memory, a clock that moves when told, captured vectors.
        .library(name: "IEC61850TestSupport", targets: ["IEC61850TestSupport", "TestSupport"]),
        .executable(name: "iec61850-gateway", targets: ["iec61850-gateway"]),
        .executable(name: "iec61850-bench", targets: ["Bench"]),
        .executable(name: "modbus-simulator", targets: ["ModbusSimulatorTool"]),
        .executable(name: "fuzz-framing", targets: ["FuzzFraming"]),
        .executable(name: "fuzz-mms", targets: ["FuzzMMS"]),
        .executable(name: "fuzz-sessions", targets: ["FuzzSessions"]),
        .executable(name: "fuzz-mqtt-payload", targets: ["FuzzMQTTPayload"]),
        .executable(name: "fuzz-modbus", targets: ["FuzzModbus"]),
        .executable(name: "fuzz-configuration", targets: ["FuzzConfiguration"]),
        .executable(name: "fuzz-scl", targets: ["FuzzSCL"]),
        .executable(name: "fuzz-log-values", targets: ["FuzzLogValues"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto", "4.5.2"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // Codecs: pure, bytes in and values out.
        .target(name: "BERCodec", dependencies: [nio]),
        .target(name: "ISOTransport", dependencies: [nio]),
        // Session, presentation and ACSE codecs, and the association state machine from COTP up to ACSE.
        .target(name: "OSIUpperLayers", dependencies: ["BERCodec", "ISOTransport", nio]),
        .target(name: "MMS", dependencies: ["BERCodec", nio]),
        // The IEC 61850 data model: no MMS knowledge inside.
        .target(name: "IEC61850Model", dependencies: [logging]),
        // The IEC 61850 services in model terms: value store, data sets, reporting, control, logs, server
        // events. Time comes in, timers go out as actions; no NIO, no MMS.
        .target(name: "IEC61850Services", dependencies: ["IEC61850Model", logging]),
        // The MMS mapping of the services: namespace of MMS names, value codec, service back end, report,
        // journal and control encoders. No sockets: ByteBuffers in and out.
        .target(name: "MMSMapping", dependencies: ["MMS", "BERCodec", "IEC61850Services", "IEC61850Model", nio, logging]),
        // The server: NIO listeners (plain, TLS), association handler, public IedServer API.
        .target(
            name: "IEC61850Server",
            dependencies: [
                "ISOTransport", "OSIUpperLayers", "MMS", "BERCodec", "MMSMapping", "IEC61850Model", "IEC61850Services", nio, nioPosix, logging, lifecycle,
                metrics,
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"), "CSessionTickets",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // One BoringSSL setting swift-nio-ssl does not expose (no TLS 1.3 session tickets; TLSMaterial.swift says why).
        .target(name: "CSessionTickets", dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")]),
        // C libraries at the edge: module map and shim only.
        .systemLibrary(name: "CModbus", pkgConfig: "libmodbus", providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // IEC 61850 logs and the gateway's event log in SQLite.
        .target(name: "EventLog", dependencies: ["CSQLite", "IEC61850Services", "IEC61850Model", logging]),
        // MQTT through libmosquitto: subscriptions feeding points, command topics for controls.
        .target(name: "MQTTAdapter", dependencies: ["CMosquitto", "GatewayCore", "IEC61850Model", "IEC61850Services", logging]),
        // Modbus TCP/RTU through libmodbus: the client the gateway polls with, and a device simulator.
        .target(name: "ModbusAdapter", dependencies: ["CModbus", "GatewayCore", "IEC61850Model", logging]),
        .executableTarget(name: "ModbusSimulatorTool", dependencies: ["ModbusAdapter", "GatewayCore"], path: "Sources/ModbusSimulatorTool"),
        // The gateway's field side: mapping of field values onto the model, the adapter protocol (no MMS, no server inside).
        .target(name: "GatewayCore", dependencies: ["IEC61850Model", "IEC61850Services", logging, metrics, .product(name: "Yams", package: "Yams")]),
        // The operations side: HTTP API, live page, Prometheus metrics (on when the configuration asks for it).
        .target(
            name: "GatewayHTTP",
            dependencies: [
                "GatewayCore", "ModbusAdapter", "IEC61850Server", "IEC61850Services", "IEC61850Model", "EventLog", logging, metrics, lifecycle,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .executableTarget(
            name: "iec61850-gateway",
            dependencies: [
                "EventLog", "GatewayHTTP",
                "IEC61850Server", "IEC61850Services", "IEC61850Model", "GatewayCore", "ModbusAdapter", "MQTTAdapter", logging, lifecycle, metrics,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Examples that mirror the libIEC61850 server tutorial.
        .executableTarget(
            name: "example-simple-server", dependencies: ["IEC61850Server", "IEC61850Model", logging, lifecycle], path: "Sources/Examples/SimpleServer"),
        .executableTarget(
            name: "example-process-values", dependencies: ["IEC61850Server", "IEC61850Model", logging, lifecycle], path: "Sources/Examples/ProcessValues"),
        .executableTarget(
            name: "example-authentication", dependencies: ["IEC61850Server", "IEC61850Model", logging, lifecycle], path: "Sources/Examples/Authentication"),
        .executableTarget(
            name: "example-control", dependencies: ["IEC61850Server", "IEC61850Model", logging, lifecycle], path: "Sources/Examples/Control"),
        .executableTarget(
            name: "example-log-service", dependencies: ["IEC61850Server", "IEC61850Model", "EventLog", logging, lifecycle],
            path: "Sources/Examples/LogService"),
        .executableTarget(
            name: "example-console-server", dependencies: ["IEC61850Server", "IEC61850Model", "EventLog", logging], path: "Sources/Examples/ConsoleServer"),
        .executableTarget(
            name: "example-write-handler", dependencies: ["IEC61850Server", "IEC61850Model", logging, lifecycle], path: "Sources/Examples/WriteHandler"),
        // Read-load benchmark against our server and libIEC61850's, side by side (run on demand).
        .executableTarget(
            name: "Bench",
            dependencies: [
                "BERCodec", "MMS", "IEC61850Server", "IEC61850TestSupport", "IEC61850Model", "GatewayCore", "MQTTAdapter", "EventLog", logging, nio,
            ],
            path: "Sources/Bench"),
        // libFuzzer targets: build one at a time with --sanitize=fuzzer --product NAME.
        // Without -DFUZZING they are replay tools: `fuzz-mms FILE…` runs each file through the target.
        .executableTarget(name: "FuzzFraming", dependencies: ["IEC61850Server", "IEC61850TestSupport"], path: "Sources/Fuzz/Framing"),
        .executableTarget(name: "FuzzMMS", dependencies: ["IEC61850Server", "IEC61850TestSupport"], path: "Sources/Fuzz/MMS"),
        .executableTarget(name: "FuzzSessions", dependencies: ["IEC61850Server", "IEC61850TestSupport"], path: "Sources/Fuzz/Sessions"),
        .executableTarget(
            name: "FuzzMQTTPayload", dependencies: ["MQTTAdapter", "GatewayCore", "IEC61850Model", "IEC61850TestSupport"], path: "Sources/Fuzz/MQTTPayload"),
        .executableTarget(name: "FuzzModbus", dependencies: ["ModbusAdapter", "GatewayCore", "IEC61850TestSupport"], path: "Sources/Fuzz/Modbus"),
        .executableTarget(
            name: "FuzzConfiguration", dependencies: ["GatewayCore", "IEC61850Server", "IEC61850TestSupport"], path: "Sources/Fuzz/Configuration"),
        .executableTarget(name: "FuzzSCL", dependencies: ["IEC61850Model", "IEC61850Server", "IEC61850TestSupport"], path: "Sources/Fuzz/SCL"),
        .executableTarget(name: "FuzzLogValues", dependencies: ["EventLog", "IEC61850TestSupport"], path: "Sources/Fuzz/LogValues"),
        // Test support: the server's pipeline in memory (InMemoryConnection), the fuzz targets' bodies, a
        // manual clock for the services; hex helpers and the captured vectors.
        .target(
            name: "IEC61850TestSupport",
            dependencies: [
                "IEC61850Server", "MMSMapping", "IEC61850Services", "IEC61850Model", nio, logging, .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
        .target(name: "TestSupport", dependencies: [nio], path: "Tests/TestSupport"),
        .testTarget(name: "BERCodecTests", dependencies: ["BERCodec", "TestSupport", nio]),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore", "EventLog", "ModbusAdapter", "MQTTAdapter", "IEC61850Model", "IEC61850Server"]),
        .testTarget(name: "ISOTransportTests", dependencies: ["ISOTransport", "TestSupport", nio]),
        .testTarget(name: "OSIUpperLayersTests", dependencies: ["OSIUpperLayers", "BERCodec", "TestSupport", nio]),
        .testTarget(name: "MMSTests", dependencies: ["MMS", "BERCodec", "TestSupport", nio]),
        .testTarget(name: "IEC61850ModelTests", dependencies: ["IEC61850Model", "TestSupport"]),
        .testTarget(name: "IEC61850ServicesTests", dependencies: ["IEC61850Services", "IEC61850Model", "IEC61850TestSupport", logging]),
        .testTarget(name: "GatewayHTTPTests", dependencies: ["GatewayHTTP", "IEC61850Server"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "IEC61850Server", "IEC61850Model"]),
        .testTarget(
            name: "IEC61850ServerTests",
            dependencies: [
                "IEC61850Server", "MMSMapping", "IEC61850Model", "MMS", "OSIUpperLayers", "ISOTransport", "BERCodec", "TestSupport", "IEC61850TestSupport",
                "EventLog", nio,
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), nioPosix,
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

import ArgumentParser

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iec61850-gateway",
        abstract: "An IEC 61850 (MMS) server and gateway.",
        discussion: """
            Serves an IEC 61850 data model, described by an SCL file (ICD, CID, IID or SCD), to SCADA and \
            other IEC 61850 clients over MMS on TCP port 102.

            Start with:  iec61850-gateway run --scl mappings/demo/demo.icd --port 10102
            Check a mapping file:  iec61850-gateway validate --config mappings/examples/energy-meter.yaml
            Export a built model:  iec61850-gateway export-scl --config mappings/examples/mqtt-sensor.yaml
            List the event log:  iec61850-gateway events --from -1h --format csv
            Test a register:  iec61850-gateway modbus read --config gateway.yaml --device meter --table input --address 52 --type float32
            Hash a password for a role:  iec61850-gateway hash-password < password.txt
            Set a node's role in a redundant pair:  iec61850-gateway role active --config gateway.yaml
            """,
        version: GatewayVersion.current,
        subcommands: [
            RunCommand.self, ValidateCommand.self, ExportSCLCommand.self, ConformanceCommand.self, EventsCommand.self, ModbusCommand.self,
            HashPasswordCommand.self, RoleCommand.self, HealthCommand.self,
        ],
        defaultSubcommand: nil
    )
}

/// Writes a model as an ICD file (SCL 2007B) that engineering tools import: the IED with its logical
/// devices and nodes, and the DataTypeTemplates the model's structure implies (identical types shared),
/// with the settings' values (CF, DC, SP) as instance values.
public enum SCLWriter {
    /// The ICD text of `model`.
    public static func icd(_ model: IedModel, description: String = "") -> String {
        var templates = Templates()
        var devices = ""
        for device in model.logicalDevices {
            var nodes = ""
            for node in device.logicalNodes {
                let typeID = templates.lNodeType(node)
                let element = node.lnClass == "LLN0" ? "LN0" : "LN"
                let instances =
                    node.dataSets.map(dataSetElement).joined() + node.reportControls.map(reportControlElement).joined()
                    + node.dataObjects.map { instanceValues($0, values: model.initialValues) }.joined()
                let attributes =
                    "lnClass=\"\(node.lnClass)\" inst=\"\(node.inst)\" lnType=\"\(typeID)\"" + (node.prefix.isEmpty ? "" : " prefix=\"\(node.prefix)\"")
                nodes +=
                    instances.isEmpty
                    ? "          <\(element) \(attributes)/>\n" : "          <\(element) \(attributes)>\n\(instances)          </\(element)>\n"
            }
            devices += "        <LDevice inst=\"\(escape(device.inst))\">\n\(nodes)        </LDevice>\n"
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <SCL xmlns="http://www.iec.ch/61850/2003/SCL" version="2007" revision="B" release="4">
              <Header id="\(escape(model.name))" toolID="iec61850-gateway export-scl" nameStructure="IEDName"/>
              <IED name="\(escape(model.name))" desc="\(escape(description))" manufacturer="iec61850-gateway" type="gateway">
                <Services>
                  <DynAssociation/>
                  <GetDirectory/>
                  <GetDataObjectDefinition/>
                  <DataObjectDirectory/>
                  <GetDataSetValue/>
                  <DataSetDirectory/>
                  <ConfDataSet max="10" maxAttributes="50"/>
                  <DynDataSet max="10" maxAttributes="50"/>
                  <ReadWrite/>
                  <ConfReportControl max="10"/>
                  <GetCBValues/>
                </Services>
                <AccessPoint name="AP1">
                  <Server>
                    <Authentication none="true"/>
            \(devices)      </Server>
                </AccessPoint>
              </IED>
              <DataTypeTemplates>
            \(templates.text)  </DataTypeTemplates>
            </SCL>

            """
    }

    /// Known enumerations, by the ids the CDC helpers and SCL files use.
    static let enumerations: [String: [(Int64, String)]] = [
        "ctlModel": [
            (0, "status-only"), (1, "direct-with-normal-security"), (2, "sbo-with-normal-security"), (3, "direct-with-enhanced-security"),
            (4, "sbo-with-enhanced-security"),
        ],
        "sboClass": [(0, "operate-once"), (1, "operate-many")],
        "orCategory": [
            (0, "not-supported"), (1, "bay-control"), (2, "station-control"), (3, "remote-control"), (4, "automatic-bay"), (5, "automatic-station"),
            (6, "automatic-remote"), (7, "maintenance"), (8, "process"),
        ],
    ]

    /// An enumeration whose names the model does not know: its values by number.
    static let numberedEnumeration: [(Int64, String)] = (0...31).map { ($0, String($0)) }

    struct Templates {
        private var ids: [String: String] = [:]  // body → id
        private(set) var text = ""
        private var counters: [String: Int] = [:]
        private var enums: Set<String> = []

        private mutating func define(_ kind: String, _ base: String, extra: String = "", body: String) -> String {
            let key = kind + extra + body
            if let id = ids[key] { return id }
            let count = counters[base, default: 0] + 1
            counters[base] = count
            let id = count == 1 ? base : "\(base)_\(count)"
            ids[key] = id
            text += "    <\(kind) id=\"\(id)\"\(extra)>\n\(body)    </\(kind)>\n"
            return id
        }

        mutating func lNodeType(_ node: LogicalNode) -> String {
            let body = node.dataObjects.map { "      <DO name=\"\($0.name)\" type=\"\(doType($0))\"/>\n" }.joined()
            return define("LNodeType", "GW_\(node.lnClass)", extra: " lnClass=\"\(node.lnClass)\"", body: body)
        }

        mutating func doType(_ object: DataObject) -> String {
            var body = ""
            for child in object.children {
                switch child {
                case .object(let sub): body += "      <SDO name=\"\(sub.name)\" type=\"\(doType(sub))\"/>\n"
                case .attribute(let attribute): body += "      " + attributeElement("DA", attribute) + "\n"
                }
            }
            let cdc = object.cdc.isEmpty ? "DO" : object.cdc
            return define("DOType", "GW_\(cdc)", extra: " cdc=\"\(cdc)\"", body: body)
        }

        private mutating func attributeElement(_ element: String, _ attribute: DataAttribute) -> String {
            var fields = "name=\"\(attribute.name)\""
            var content = attribute.content
            if case .array(let elements) = content, let first = elements.first {
                fields += " count=\"\(elements.count)\""
                content = first.content
            }
            switch content {
            case .basic(let type, _):
                let (bType, enumType) = Self.bType(type)
                fields += " bType=\"\(bType)\""
                if let enumType { fields += " type=\"\(self.enumType(enumType))\"" }
            case .constructed(let components), .array(let components):
                let body = components.map { "      " + attributeElement("BDA", $0) + "\n" }.joined()
                fields += " bType=\"Struct\" type=\"\(define("DAType", "GW_\(attribute.name)", body: body))\""
            }
            if element == "DA" {
                fields += " fc=\"\(attribute.fc.rawValue)\""
                if attribute.triggers.contains(.dataChange) { fields += " dchg=\"true\"" }
                if attribute.triggers.contains(.qualityChange) { fields += " qchg=\"true\"" }
                if attribute.triggers.contains(.dataUpdate) { fields += " dupd=\"true\"" }
            }
            return "<\(element) \(fields)/>"
        }

        private mutating func enumType(_ id: String) -> String {
            let known = SCLWriter.enumerations[id]
            let values = known ?? SCLWriter.numberedEnumeration
            let name = known == nil ? "Enumerated" : id
            if enums.insert(name).inserted {
                text += "    <EnumType id=\"\(name)\">\n" + values.map { "      <EnumVal ord=\"\($0.0)\">\($0.1)</EnumVal>\n" }.joined() + "    </EnumType>\n"
            }
            return name
        }

        static func bType(_ type: BasicType) -> (String, String?) {
            switch type {
            case .boolean: ("BOOLEAN", nil)
            case .int8: ("INT8", nil)
            case .int16: ("INT16", nil)
            case .int32: ("INT32", nil)
            case .int64: ("INT64", nil)
            case .int128: ("INT128", nil)
            case .int8u: ("INT8U", nil)
            case .int16u: ("INT16U", nil)
            case .int24u: ("INT24U", nil)
            case .int32u: ("INT32U", nil)
            case .float32: ("FLOAT32", nil)
            case .float64: ("FLOAT64", nil)
            case .enumerated(let id): ("Enum", id ?? "Enumerated")
            case .dbpos: ("Dbpos", nil)
            case .tcmd: ("Tcmd", nil)
            case .quality: ("Quality", nil)
            case .timestamp: ("Timestamp", nil)
            case .entryTime: ("EntryTime", nil)
            case .check: ("Check", nil)
            case .octetString(let maximum): (maximum <= 6 ? "Octet6" : maximum <= 16 ? "Octet16" : "Octet64", nil)
            case .visibleString(let maximum):
                (
                    maximum <= 32
                        ? "VisString32" : maximum <= 64 ? "VisString64" : maximum <= 65 ? "VisString65" : maximum <= 129 ? "VisString129" : "VisString255", nil
                )
            case .unicodeString: ("Unicode255", nil)
            case .currency: ("Currency", nil)
            case .trgOps: ("TrgOps", nil)
            case .optFlds: ("OptFlds", nil)
            case .entryID: ("EntryID", nil)
            case .objectReference: ("ObjRef", nil)
            }
        }
    }

    /// A `DataSet` with its FCDAs.
    static func dataSetElement(_ dataSet: DataSetDefinition) -> String {
        let members = dataSet.members.map { member in
            "              <FCDA ldInst=\"\(escape(member.ldInst))\" prefix=\"\(escape(member.prefix))\" lnClass=\"\(member.lnClass)\" "
                + "lnInst=\"\(member.lnInst)\" doName=\"\(escape(member.doName))\"" + (member.daName.isEmpty ? "" : " daName=\"\(escape(member.daName))\"")
                + " fc=\"\(member.fc.rawValue)\"/>\n"
        }
        return "            <DataSet name=\"\(escape(dataSet.name))\">\n\(members.joined())            </DataSet>\n"
    }

    /// A `ReportControl` with its trigger options, optional fields and instance count.
    static func reportControlElement(_ block: ReportControlDefinition) -> String {
        func flag(_ bits: UInt32, _ bit: Int) -> String { bits & (1 << bit) != 0 ? "true" : "false" }
        let triggers = block.triggerOptions, fields = block.optionalFields
        return """
                        <ReportControl name="\(escape(block.name))" rptID="\(escape(block.rptID))" confRev="\(block.confRev)" buffered="\(block.buffered)" \
            bufTime="\(block.bufferTime)" datSet="\(escape(block.dataSet))" intgPd="\(block.integrityPeriod)" indexed="\(block.indexed)">
                          <TrgOps dchg="\(flag(triggers, 1))" qchg="\(flag(triggers, 2))" dupd="\(flag(triggers, 3))" period="\(flag(triggers, 4))" gi="\(flag(triggers, 5))"/>
                          <OptFields seqNum="\(flag(fields, 1))" timeStamp="\(flag(fields, 2))" reasonCode="\(flag(fields, 3))" dataSet="\(flag(fields, 4))" \
            dataRef="\(flag(fields, 5))" bufOvfl="\(flag(fields, 6))" entryID="\(flag(fields, 7))" configRef="\(flag(fields, 8))"/>
                          <RptEnabled max="\(block.maxInstances)"/>
                        </ReportControl>

            """
    }

    /// DOI/DAI values of the settings (CF, DC, SP) — ctlModel, sboTimeout, nameplates — where they are set.
    static func instanceValues(_ object: DataObject, values: [DataValue]) -> String {
        var lines = ""
        for child in object.children {
            guard case .attribute(let attribute) = child, [.cf, .dc, .sp].contains(attribute.fc),
                case .basic(let type, let slot) = attribute.content, slot < values.count, let value = valueText(values[slot], type: type)
            else { continue }
            lines += "              <DAI name=\"\(attribute.name)\"><Val>\(escape(value))</Val></DAI>\n"
        }
        return lines.isEmpty ? "" : "            <DOI name=\"\(object.name)\">\n\(lines)            </DOI>\n"
    }

    /// A value as `<Val>` text, or nil when it is the type's default (nothing to write).
    static func valueText(_ value: DataValue, type: BasicType) -> String? {
        guard value != type.defaultValue else { return nil }
        switch (value, type) {
        case (.integer(let number), .enumerated(let id)): return enumerations[id ?? ""]?.first { $0.0 == number }?.1 ?? String(number)
        case (.integer(let number), _): return String(number)
        case (.unsigned(let number), _): return String(number)
        case (.boolean(let flag), _): return flag ? "true" : "false"
        case (.float32(let number), _): return "\(number)"
        case (.float64(let number), _): return "\(number)"
        case (.string(let text), _): return text
        default: return nil
        }
    }

    /// The text with `&`, `<`, `>` and `"` written as references, for an attribute value or content.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") })
        else { return text }
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}

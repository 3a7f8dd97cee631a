import Foundation

/// What an IEC 61850 namespace definition file (NSD, IEC 61850-7-7) defines, as far as a model's
/// statements need it: its logical node classes with the data objects each has (its own and those of
/// the classes it is based on) and its common data classes.
///
/// The IEC publishes the NSD files of 7-4 (logical nodes) and 7-3 (common data classes); given them,
/// the MICS checks every data object of the model against its class.
public struct NamespaceDefinition: Sendable {
    /// The namespace (`IEC 61850-7-4`).
    public let identifier: String
    /// Data object names by class (abstract classes too), with whether each may be numbered (`Ind1`…).
    private let classes: [String: (base: String?, objects: [String: Bool], isAbstract: Bool)]
    /// The common data classes it defines.
    public let commonDataClasses: Set<String>

    /// The concrete logical node classes it defines.
    public var logicalNodeClasses: Set<String> { Set(classes.filter { !$0.value.isAbstract }.keys) }

    public init(file path: String) throws(SCLError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SCLError(.unreadable, file: path, line: 0, element: "NS", message: "cannot read the file")
        }
        try self.init(data: data, fileName: path)
    }

    public init(data: Data, fileName: String) throws(SCLError) {
        let root: XMLElementNode
        do {
            root = try XMLElementNode.parse(bytes: data)
        } catch {
            throw SCLError(.malformedXML, file: fileName, line: error.line, element: "NS", message: error.message)
        }
        func local(_ name: String) -> Substring { name.split(separator: ":").last ?? Substring(name) }
        guard local(root.name) == "NS" else {
            throw SCLError(.missing, file: fileName, line: root.line, element: root.name, message: "not a namespace definition (its root is not NS)")
        }
        identifier = root["id"] ?? ""
        var classes: [String: (base: String?, objects: [String: Bool], isAbstract: Bool)] = [:]
        var cdcs: Set<String> = []
        func walk(_ element: XMLElementNode) {
            switch local(element.name) {
            case "LNClass", "AbstractLNClass":
                guard let name = element["name"] else { return }
                var objects: [String: Bool] = [:]
                for object in element.children where local(object.name) == "DataObject" {
                    guard let objectName = object["name"] else { continue }
                    objects[objectName] = (object["presCond"] ?? "").lowercased().contains("multi")
                }
                classes[name] = (element["base"], objects, local(element.name) == "AbstractLNClass")
            case "CDC":
                if let name = element["name"] { cdcs.insert(name) }
            default:
                for child in element.children { walk(child) }
            }
        }
        walk(root)
        self.classes = classes
        commonDataClasses = cdcs
    }

    /// Whether `objectName` is a data object of `lnClass` here (numbered instances of a multi-instance
    /// object included); nil when this namespace does not define the class.
    public func defines(_ objectName: String, in lnClass: String) -> Bool? {
        Self.defines(objectName, in: lnClass, across: [self])
    }

    /// The same across several namespaces, a class's base looked up in any of them (an IEC 61850-7-420
    /// class based on an abstract class of 7-4); nil when none defines the class.
    public static func defines(_ objectName: String, in lnClass: String, across namespaces: [NamespaceDefinition]) -> Bool? {
        func definition(_ name: String) -> (base: String?, objects: [String: Bool], isAbstract: Bool)? {
            for namespace in namespaces { if let found = namespace.classes[name] { return found } }
            return nil
        }
        guard definition(lnClass) != nil else { return nil }
        let base = String(objectName.reversed().drop(while: \.isNumber).reversed())
        var current: String? = lnClass
        var seen: Set<String> = []
        while let name = current, seen.insert(name).inserted, let found = definition(name) {
            if found.objects[objectName] != nil { return true }
            if base != objectName, found.objects[base] == true { return true }
            current = found.base
        }
        return false
    }
}

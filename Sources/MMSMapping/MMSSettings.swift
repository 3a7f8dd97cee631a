import IEC61850Model
import IEC61850Services

/// What the MMS mapping takes of the server's configuration.
package struct MMSSettings: Sendable {
    /// The Identify answer.
    package var vendor: String
    package var model: String
    package var revision: String
    /// The largest MMS PDU the server negotiates.
    package var maximumMMSPDUSize: Int
    /// The most requests a client may have outstanding.
    package var maximumServicesOutstanding: Int
    /// The deepest nesting of MMS Data the server accepts.
    package var dataStructureNestingLevel: Int
    /// The limits on client-created data sets.
    package var dataSetLimits: DataSetLimits
    /// The functional constraints clients may write (settings).
    package var writableFunctionalConstraints: Set<FunctionalConstraint>
    /// The file services; nil: off.
    package var files: FileServiceSettings?
    /// Folders of files the application makes, mounted beside the served model's CID (`SCL`).
    package var fileSources: [String: any FileSource] = [:]

    package init(
        vendor: String, model: String, revision: String, maximumMMSPDUSize: Int, maximumServicesOutstanding: Int, dataStructureNestingLevel: Int,
        dataSetLimits: DataSetLimits, writableFunctionalConstraints: Set<FunctionalConstraint>
    ) {
        self.vendor = vendor
        self.model = model
        self.revision = revision
        self.maximumMMSPDUSize = maximumMMSPDUSize
        self.maximumServicesOutstanding = maximumServicesOutstanding
        self.dataStructureNestingLevel = dataStructureNestingLevel
        self.dataSetLimits = dataSetLimits
        self.writableFunctionalConstraints = writableFunctionalConstraints
    }
}

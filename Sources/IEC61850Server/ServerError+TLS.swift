import IEC61850Services

extension ServerError {
    /// The TLS certificates, key or CRLs cannot be used (the ``TLSError`` says which file and why).
    public static func tls(_ error: TLSError) -> ServerError { ServerError(.tls, "\(error)") }
}

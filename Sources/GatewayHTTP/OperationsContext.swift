import Hummingbird
import IEC61850Server
import NIOCore

/// A request's context: the peer's address and the role the request was granted.
struct OperationsContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// `ip:port` of the peer.
    let peer: String?
    /// Set by ``AccessMiddleware`` before any route runs.
    var role: Role = .viewer
    /// Over HTTPS: the connection's client certificate, as the server's TLS check found it.
    let identity: TLSClientIdentity?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress.flatMap { address in address.ipAddress.map { "\($0):\(address.port ?? 0)" } }
        identity = ClientIdentities.shared.identity(of: source.channel)
    }

    /// Refuses a change to a request below the engineer role.
    func requireEngineer() throws {
        guard role >= .engineer else {
            throw HTTPError(.forbidden, message: "this needs the engineer role; the request has \(role.rawValue)")
        }
    }
}

/// Grants each request its role (``HTTPAccess``), or answers 401 with a Basic challenge.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = OperationsContext
    let access: HTTPAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let role = access.role(peer: context.peer, authorization: request.headers[.authorization], certificate: context.identity?.certificate)
        else {
            var response = try JSONResponse.make(["error": "authentication required: HTTP Basic with a password of the access rules"], status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Basic realm=\"iec61850-gateway\", charset=\"UTF-8\""
            return response
        }
        var context = context
        context.role = role
        return try await next(request, context)
    }
}

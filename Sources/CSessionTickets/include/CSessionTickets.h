#ifndef C_SESSION_TICKETS_H
#define C_SESSION_TICKETS_H

/// Makes a BoringSSL SSL_CTX (swift-nio-ssl's NIOSSLContext) send no TLS 1.3 session tickets.
/// Returns 1 on success. See TLSMaterial.swift for why.
int iec61850_ssl_ctx_send_no_tickets(void *ssl_ctx);

#endif

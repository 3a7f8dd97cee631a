#ifndef C_SESSION_TICKETS_H
#define C_SESSION_TICKETS_H

/// Switches session resumption off on a BoringSSL SSL_CTX (swift-nio-ssl's NIOSSLContext): no TLS 1.3
/// tickets, no TLS 1.2 tickets, no server-side session cache. Returns 1 on success. TLSMaterial.swift
/// says why.
int iec61850_ssl_ctx_disable_resumption(void *ssl_ctx);

#endif

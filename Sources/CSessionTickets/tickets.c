#include <stddef.h>
#include "CSessionTickets.h"

/* BoringSSL as swift-nio-ssl builds it, with its symbol prefix; linked into the same binary. */
int CNIOBoringSSL_SSL_CTX_set_num_tickets(void *ctx, size_t num_tickets);

int iec61850_ssl_ctx_send_no_tickets(void *ssl_ctx) {
    return CNIOBoringSSL_SSL_CTX_set_num_tickets(ssl_ctx, 0);
}

#include <stddef.h>
#include <stdint.h>
#include "CSessionTickets.h"

/* BoringSSL as swift-nio-ssl builds it, with its symbol prefix; linked into the same binary. */
int CNIOBoringSSL_SSL_CTX_set_num_tickets(void *ctx, size_t num_tickets);
uint32_t CNIOBoringSSL_SSL_CTX_set_options(void *ctx, uint32_t options);
int CNIOBoringSSL_SSL_CTX_set_session_cache_mode(void *ctx, int mode);

#define NO_TICKET 0x00004000L    /* SSL_OP_NO_TICKET */
#define SESSION_CACHE_OFF 0x0000 /* SSL_SESS_CACHE_OFF */

int iec61850_ssl_ctx_disable_resumption(void *ssl_ctx) {
    CNIOBoringSSL_SSL_CTX_set_options(ssl_ctx, NO_TICKET);
    CNIOBoringSSL_SSL_CTX_set_session_cache_mode(ssl_ctx, SESSION_CACHE_OFF);
    return CNIOBoringSSL_SSL_CTX_set_num_tickets(ssl_ctx, 0);
}

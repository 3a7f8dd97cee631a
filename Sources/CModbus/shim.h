// libmodbus (Debian libmodbus-dev); its pkg-config adds -I/usr/include/modbus.
#include <modbus.h>
#include <errno.h>

// errno as a function: Swift cannot read the C macro directly.
static inline int cmodbus_errno(void) { return errno; }

// Pseudo-terminals, for the simulator's serial line: glibc declares these only under _XOPEN_SOURCE,
// which the Glibc module is not built with. Redeclaring them as glibc does is harmless.
extern int posix_openpt(int flags);
extern int grantpt(int fd);
extern int unlockpt(int fd);
extern char *ptsname(int fd);

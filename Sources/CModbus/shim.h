// libmodbus (Debian libmodbus-dev); its pkg-config adds -I/usr/include/modbus.
#include <modbus.h>
#include <errno.h>

// errno as a function: Swift cannot read the C macro directly.
static inline int cmodbus_errno(void) { return errno; }

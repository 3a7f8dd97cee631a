// libmosquitto (Debian libmosquitto-dev).
#include <mosquitto.h>

/* hostapi: the pulse_host_api vtable handed to every plugin. */
#ifndef PULSE_HOSTAPI_H
#define PULSE_HOSTAPI_H

#include <pulse-host/plugin.h>

/* The one table, static and const for the life of the process. */
const pulse_host_api *hostapi_table(void);

#endif

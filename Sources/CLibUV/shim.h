#ifndef SINKRON_CLIBUV_SHIM_H
#define SINKRON_CLIBUV_SHIM_H
#include <uv.h>
#endif

#ifndef SINKRON_CZSTD_SHIM_H
#define SINKRON_CZSTD_SHIM_H
#include <zstd.h>
#endif

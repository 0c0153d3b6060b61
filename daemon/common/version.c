/*
 * version.c: the --version line (see version.h).  zlib and jansson are asked at run
 * time; a jansson older than 2.13 has no such call, and then the version it was built
 * against is all there is to print.
 */
#include "version.h"

#include <jansson.h>
#include <zlib.h>

static const char *jansson_version(void)
{
#if JANSSON_VERSION_HEX >= 0x020d00
    return jansson_version_str();
#else
    return JANSSON_VERSION;
#endif
}

void version_print(FILE *out, const char *prog, const char *xapian, const char *libevent)
{
    fprintf(out, "%s %s (Xapian %s", prog, NEWSD_VERSION, xapian);
    if (libevent)
        fprintf(out, ", libevent %s", libevent);
    fprintf(out, ", zlib %s, jansson %s)\n", zlibVersion(), jansson_version());
}

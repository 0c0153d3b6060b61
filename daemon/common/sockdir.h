/*
 * sockdir.h: where the default Unix socket lives, shared by newsd and newsq (newsd(8),
 * "THE DEFAULT SOCKET").  As tmux does, the socket is in a folder of the user's own:
 * $XDG_RUNTIME_DIR/newsd when that variable is set, else /tmp/newsd-UID, created mode
 * 0700.  A folder in /tmp can be made by anyone first, so both programs refuse one that
 * is a symlink, is not owned by the user or grants group or others any access: another
 * user could otherwise listen in the daemon's place (and be sent writes) or replace its
 * socket.  Nothing here logs or allocates.
 */
#ifndef NEWSD_SOCKDIR_H
#define NEWSD_SOCKDIR_H

#include <stddef.h>

#include "newsd_limits.h"

/* The outcome of sockdir_default_path. */
typedef enum sockdir_status {
    SOCKDIR_OK = 0,       /* out holds the socket's path; its folder is safe */
    SOCKDIR_MISSING,      /* the folder does not exist (only when create is 0); out
                             holds the path the socket would have */
    SOCKDIR_UNSAFE,       /* the folder is refused, or cannot be made: err says why */
} sockdir_status_t;

/*
 * Fills out (outlen bytes) with the default socket's path, after checking its folder
 * (and, when create is 1, creating it mode 0700 if it is missing).  On SOCKDIR_UNSAFE,
 * err (errlen bytes) holds a message naming the folder and the remedy.
 */
sockdir_status_t sockdir_default_path(char *out, size_t outlen, int create, char *err,
                                      size_t errlen);

#endif

/*
 * proto.h: the request-line parser of the newsd protocol (newsd(8),
 * "Requests").  It turns one line, without its line end, into a proto_request_t:
 * command, name=value options and the argument.  It never touches a socket, allocates
 * nothing and knows each command's options (the table behind HELP), so a request the
 * handlers see is well-formed: valid UTF-8, no control bytes, known options, each once.
 * The handlers (cmd*.c) check option values and the argument.
 */
#ifndef NEWSD_PROTO_H
#define NEWSD_PROTO_H

#include <stddef.h>

#include "newsd_limits.h"

typedef enum proto_cmd {
    PROTO_CMD_SEARCH = 0,
    PROTO_CMD_COUNT,
    PROTO_CMD_SIMILAR,
    PROTO_CMD_DUPS,
    PROTO_CMD_GET,
    PROTO_CMD_ADD,
    PROTO_CMD_DELETE,
    PROTO_CMD_STATS,
    PROTO_CMD_PING,
    PROTO_CMD_HELP,
    PROTO_CMD_QUIT,
    PROTO_CMD_FORMAT,
    PROTO_CMD_REINDEX,
    PROTO_CMD_STATUS,
    PROTO_CMD_AUTH,
    PROTO_CMD_COUNT_OF        /* number of commands, not a command */
} proto_cmd_t;

/* What proto_parse made of a line. */
typedef enum proto_status {
    PROTO_OK = 0,             /* *req holds a request */
    PROTO_EMPTY,              /* only spaces and tabs: not a request, no reply */
    PROTO_UNKNOWN_COMMAND,    /* the first word is no command */
    PROTO_BAD_REQUEST,        /* malformed; err says why */
    PROTO_HTTP                /* an HTTP request line: reply bad_request and close */
} proto_status_t;

/* Whether a command takes an argument. */
typedef enum proto_arg { PROTO_ARG_NONE = 0, PROTO_ARG_REQUIRED, PROTO_ARG_OPTIONAL } proto_arg_t;

/* What the layers around the parser need to know of a command; they ask the table
 * (proto_find) instead of knowing command names. */
enum proto_flag {
    PROTO_WRITE = 1u << 0,    /* changes the index, so needs write authority (cmd.c checks
                                 it in one place: newsd(8), "AUTHORITY FOR WRITES") */
    PROTO_QUEUED = 1u << 1,   /* served by the writer thread: a connection may pipeline it
                                 behind the writes it has out (conn.c) */
    PROTO_SECRET = 1u << 2    /* its line carries a secret: never quoted in the log */
};

typedef struct proto_command {
    const char *name;         /* "SEARCH" */
    proto_cmd_t cmd;
    proto_arg_t arg;
    unsigned flags;           /* enum proto_flag */
    const char *const *options;   /* the option names it accepts, NULL-terminated */
    const char *synopsis;     /* one line for HELP */
} proto_command_t;

typedef struct proto_option {
    char name[NEWSD_MAX_OPTION_NAME + 1];
    char value[NEWSD_MAX_OPTION_VALUE + 1];
} proto_option_t;

typedef struct proto_request {
    const proto_command_t *command;
    size_t nopts;
    proto_option_t opts[NEWSD_MAX_OPTIONS];
    const char *arg;          /* points into the parsed line; "" when none */
    size_t arg_len;
} proto_request_t;

/*
 * Parses line[0..len) (no line end; may hold any bytes, NUL included).  On PROTO_OK *req
 * is filled; req->arg points into line.  On an error err (errlen bytes) gets a message for
 * the client, such as "unknown option 'foo' for SEARCH".
 */
proto_status_t proto_parse(const char *line, size_t len, proto_request_t *req, char *err,
                           size_t errlen);

/* The value of option name in req, or NULL when absent. */
const char *proto_option(const proto_request_t *req, const char *name);

/* The command table, in HELP order. */
const proto_command_t *proto_commands(size_t *n);

/* The command named by the first word of line[0..len) (after spaces and tabs, in any
 * case), before any check of the line's bytes; NULL when the word is no command. */
const proto_command_t *proto_find(const char *line, size_t len);

/* 1 when line[0..len) starts (after spaces and tabs) with the name of a PROTO_SECRET
 * command (AUTH), in any case, whatever follows and before any check of its bytes: such a
 * line may carry the write token, so the log must not quote it.  line may be a prefix. */
int proto_is_secret_line(const char *line, size_t len);

#endif

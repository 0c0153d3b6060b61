/*
 * test_shardlayout: the stub file of a sharded index folder, written and read back, and
 * every stub newsindex did not write refused with the line that is wrong.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "newsd_limits.h"
#include "shardlayout.h"

static char dir[] = "/tmp/newsd-shardlayout.XXXXXX";

static void put_stub(const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, SHARDLAYOUT_STUB);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* shardlayout_read's result for a stub holding text; msg gets its message. */
static int read_stub(const char *text, unsigned *n, char *msg, size_t len)
{
    put_stub(text);
    msg[0] = '\0';
    return shardlayout_read(dir, n, msg, len);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char msg[512], buf[64];
    unsigned n = 0;

    CHECK_INT(shardlayout_shard_path("/x", 7, buf, sizeof buf), 0);
    CHECK_STR(buf, "/x/shard-7");
    CHECK_INT(shardlayout_shard_path("/a-long-folder-name", 12, buf, 8), -1);

    /* No stub: a plain folder (or none at all) is not sharded. */
    CHECK_INT(shardlayout_read(dir, &n, msg, sizeof msg), 0);
    CHECK_INT(shardlayout_read("/nonexistent/newsd-index", &n, msg, sizeof msg), 0);

    /* Written, then read back. */
    CHECK_INT(shardlayout_write_stub(dir, 3, msg, sizeof msg), 0);
    CHECK_INT(shardlayout_read(dir, &n, msg, sizeof msg), 1);
    CHECK_INT(n, 3);
    CHECK_INT(shardlayout_write_stub(dir, NEWSD_MAX_SHARDS, msg, sizeof msg), 0);
    CHECK_INT(shardlayout_read(dir, &n, msg, sizeof msg), 1);
    CHECK_INT(n, NEWSD_MAX_SHARDS);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, SHARDLAYOUT_STUB);
    CHECK(access(tmp, F_OK) != 0);   /* the temporary file was renamed */

    /* Comments and blank lines are Xapian's too; a last line without newline counts. */
    CHECK_INT(read_stub("# c\n\nglass shard-0\n# c\nglass shard-1", &n, msg, sizeof msg), 1);
    CHECK_INT(n, 2);

    /* Anything else is refused, naming the line. */
    CHECK_INT(read_stub("glass shard-0\nglass shard-2\n", &n, msg, sizeof msg), -1);
    CHECK(strstr(msg, ":2: expected 'glass shard-1'") != NULL);
    CHECK_INT(read_stub("glass shard-1\n", &n, msg, sizeof msg), -1);
    CHECK(strstr(msg, ":1: expected 'glass shard-0'") != NULL);
    CHECK_INT(read_stub("glass /abs/shard-0\n", &n, msg, sizeof msg), -1);
    CHECK_INT(read_stub("remote 127.0.0.1:7000\n", &n, msg, sizeof msg), -1);
    CHECK_INT(read_stub("auto shard-0\n", &n, msg, sizeof msg), -1);
    CHECK_INT(read_stub("glass shard-0 \n", &n, msg, sizeof msg), -1);
    CHECK_INT(read_stub("# only comments\n", &n, msg, sizeof msg), -1);
    CHECK(strstr(msg, "lists no shards") != NULL);
    CHECK_INT(read_stub("", &n, msg, sizeof msg), -1);

    /* More shards than the limit. */
    char *big = malloc((NEWSD_MAX_SHARDS + 1) * 24);
    if (big) {
        size_t off = 0;
        for (unsigned k = 0; k <= NEWSD_MAX_SHARDS; k++)
            off += (size_t)sprintf(big + off, "glass shard-%u\n", k);
        CHECK_INT(read_stub(big, &n, msg, sizeof msg), -1);
        CHECK(strstr(msg, "more than") != NULL);
        free(big);
    }

    /* An over-long line is an error, not two lines. */
    char longline[400];
    memset(longline, 'x', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    CHECK_INT(read_stub(longline, &n, msg, sizeof msg), -1);
    CHECK(strstr(msg, "line too long") != NULL);

    /* A stub that cannot be written: the folder is missing. */
    CHECK_INT(shardlayout_write_stub("/nonexistent/newsd-index", 2, msg, sizeof msg), -1);
    CHECK(strstr(msg, "cannot create") != NULL);

    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, SHARDLAYOUT_STUB);
    unlink(path);
    rmdir(dir);
    return check_report();
}

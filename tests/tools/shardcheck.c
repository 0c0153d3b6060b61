/*
 * shardcheck.c: what tests/e2e/test_shardbuild.sh asks of the index through the C API
 * (include/newsidx.h), built by the Makefile for `make test`.
 *
 *   shardcheck of N          reads ids, one a line, on stdin; prints the shard of each
 *                           (newsidx_shard_of(id, N)), one a line
 *   shardcheck meta DIR KEY  prints the metadata value of KEY in the index DIR ("" when
 *                           absent); exit 1 when DIR cannot be opened
 *
 * Exit status 2 for a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "newsd_limits.h"
#include "newsidx.h"

static int usage(void)
{
    fprintf(stderr, "usage: shardcheck of N | shardcheck meta DIR KEY\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "of") == 0) {
        char *end;
        long n = strtol(argv[2], &end, 10);
        if (*end || n < 1 || n > NEWSD_MAX_SHARDS)
            return usage();
        char line[NEWSD_MAX_ID_LEN + 2];
        while (fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\n")] = '\0';
            printf("%u\n", newsidx_shard_of(line, (unsigned)n));
        }
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "meta") == 0) {
        newsidx_reader_t *r = NULL;
        char *value = NULL;
        newsidx_status_t st = newsidx_reader_open(argv[2], &r);
        if (st == NEWSIDX_OK)
            st = newsidx_reader_get_metadata(r, argv[3], &value);
        if (st != NEWSIDX_OK) {
            fprintf(stderr, "shardcheck: %s: %s\n", argv[2], r ? newsidx_reader_error(r) : "");
            newsidx_reader_close(r);
            return 1;
        }
        printf("%s\n", value ? value : "");
        free(value);
        newsidx_reader_close(r);
        return 0;
    }
    return usage();
}

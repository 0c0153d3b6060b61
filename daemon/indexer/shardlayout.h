/*
 * shardlayout.h: the folder a sharded build writes (newsd(8), "SHARDED INDEXES").
 *
 *   DIR/shard-0 .. DIR/shard-(N-1)   glass indexes; shard k holds exactly the documents
 *                                    whose id has newsidx_shard_of(id, N) == k
 *   DIR/shards.stub                  a Xapian stub database listing them in order
 *                                    ("glass shard-K" lines; Xapian resolves a relative
 *                                    path against the stub's folder)
 *
 * The stub is what marks a folder as sharded and gives its shard count: newsindex reads
 * it to route an update, and newsd and Xapian's own tools open it as one database.
 */
#ifndef NEWSD_SHARDLAYOUT_H
#define NEWSD_SHARDLAYOUT_H

#include <stddef.h>

/* The stub's name inside a sharded folder. */
#define SHARDLAYOUT_STUB "shards.stub"

/* "DIR/shard-K" into buf.  Returns 0, or -1 when it does not fit. */
int shardlayout_shard_path(const char *dir, unsigned k, char *buf, size_t len);

/*
 * Writes DIR/shards.stub for n shards (through a temporary file, fsync'd, then renamed,
 * so a reader never sees half a stub).  Returns 0, or -1 with the reason in msg.
 */
int shardlayout_write_stub(const char *dir, unsigned n, char *msg, size_t msglen);

/*
 * Reads DIR/shards.stub.  Returns 1 with *n set (1..NEWSD_MAX_SHARDS) when DIR is a
 * sharded folder, 0 when it has no stub (a plain index, or no folder at all), and -1
 * when the stub cannot be read or is not one newsindex writes (msg says which line):
 * only comment lines ("#...") and "glass shard-K" lines for K = 0, 1, ... in order.
 */
int shardlayout_read(const char *dir, unsigned *n, char *msg, size_t msglen);

#endif

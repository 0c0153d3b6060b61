/*
 * reindex_paths.h: the paths a REINDEX may read (reindex_paths.c), for reindex.c.
 */
#ifndef NEWSD_REINDEX_PATHS_H
#define NEWSD_REINDEX_PATHS_H

#include <stddef.h>

#include "server.h"

/* The corpus roots, resolved (realpath), n of them. */
typedef struct reindex_roots {
    char **roots;
    size_t n;
} reindex_roots_t;

/* Frees a list of n malloc'd strings and the list itself (NULL: nothing). */
void reindex_free_list(char **list, size_t n);

/* Resolves the corpus roots of cfg into *out (release with reindex_free_list(out->roots,
 * out->n)): --corpus-root, else the paths the index was built from.  A root that cannot
 * be resolved is logged and left out; with no root every REINDEX is forbidden.  Returns
 * -1 when out of memory. */
int reindex_roots_resolve(const server_config_t *cfg, reindex_roots_t *out);

/* Resolves one requested path into a new string (*out) and checks that it may be read: a
 * regular file or a folder under a root.  Returns 0, or -1 with *code ("bad_request",
 * "forbidden", "internal") and err set. */
int reindex_check_path(const reindex_roots_t *roots, const char *path, char **out,
                       const char **code, char *err, size_t errlen);

/* The job's paths as a new NULL-terminated list (*out, *nout): those requested, else
 * those the index at index_path records, each resolved after reindex_check_path.
 * Returns 0, or -1 with *code and err set. */
int reindex_job_paths(const char *index_path, const reindex_roots_t *roots,
                      const char *const *paths, size_t npaths, char ***out, size_t *nout,
                      const char **code, char *err, size_t errlen);

#endif

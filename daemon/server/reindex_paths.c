/*
 * reindex_paths.c: what a REINDEX may read.  The corpus roots (--corpus-root, else the
 * paths the index records it was built from), resolved once at start; each requested
 * path resolved and checked to be a regular file or a folder under a root, at the
 * request and again when the job starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "log.h"
#include "newsidx.h"
#include "reindex_paths.h"

void reindex_free_list(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

/* The paths the index records (newsindex keeps them as a JSON array in its metadata). */
static int recorded_paths(const char *index_path, char ***out, size_t *n, char *err,
                          size_t errlen)
{
    newsidx_reader_t *rd = NULL;
    char *value = NULL;
    *out = NULL;
    *n = 0;
    newsidx_status_t st = newsidx_reader_open(index_path, &rd);
    if (st == NEWSIDX_OK)
        st = newsidx_reader_get_metadata(rd, NEWSD_PATHS_METADATA_KEY, &value);
    newsidx_reader_close(rd);
    if (st != NEWSIDX_OK) {
        snprintf(err, errlen, "cannot read the paths the index was built from: %s",
                 newsidx_status_name(st));
        return -1;
    }
    json_t *arr = value ? json_loads(value, 0, NULL) : NULL;
    free(value);
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        json_decref(arr);
        snprintf(err, errlen, "the index records no paths it was built from: name them");
        return -1;
    }
    size_t count = json_array_size(arr);
    char **paths = calloc(count + 1, sizeof *paths);
    for (size_t i = 0; paths && i < count; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !(paths[i] = strdup(s))) {
            for (size_t k = 0; k < i; k++)
                free(paths[k]);
            free(paths);
            paths = NULL;
        }
    }
    json_decref(arr);
    if (!paths) {
        snprintf(err, errlen, "the paths the index records are not a list of strings");
        return -1;
    }
    *out = paths;
    *n = count;
    return 0;
}

/* The corpus roots, resolved: --corpus-root, else the paths the index was built from.
 * A root that cannot be resolved is logged and left out; with no root at all every
 * REINDEX is forbidden.  Returns -1 when out of memory. */
int reindex_roots_resolve(const server_config_t *cfg, reindex_roots_t *out)
{
    char **given = NULL;
    size_t ngiven = 0;
    const char *const *names = cfg->corpus_roots;
    if (cfg->ncorpus_roots == 0) {
        char err[300];
        if (!cfg->index_path)
            return 0;   /* a sharded index: REINDEX does not rebuild it */
        if (recorded_paths(cfg->index_path, &given, &ngiven, err, sizeof err) != 0) {
            LOG(LOG_WARN, "corpus_roots", "roots=0 msg=\"%s; REINDEX is refused without "
                "--corpus-root\"", err);
            return 0;
        }
        names = (const char *const *)given;
    } else {
        ngiven = cfg->ncorpus_roots;
    }
    out->roots = calloc(ngiven + 1, sizeof *out->roots);
    if (!out->roots) {
        reindex_free_list(given, ngiven);
        return -1;
    }
    for (size_t i = 0; i < ngiven; i++) {
        char *resolved = realpath(names[i], NULL);
        if (!resolved) {
            LOG(LOG_WARN, "corpus_roots", "root=%s errno=%d msg=\"left out: %s\"", names[i],
                errno, strerror(errno));
            continue;
        }
        out->roots[out->n++] = resolved;
        LOG(LOG_INFO, "corpus_roots", "root=%s", resolved);
    }
    reindex_free_list(given, ngiven);
    return 0;
}


/* 1 when path (resolved) is root or lies below it, component by component: /corpus2 is
 * not below /corpus. */
static int under_root(const char *path, const char *root)
{
    size_t len = strlen(root);
    while (len > 0 && root[len - 1] == '/')
        len--;                         /* "/" itself: every absolute path is below it */
    return strncmp(path, root, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* Resolves one requested path into a new string (*out) and checks it may be read: a
 * regular file or a folder under a corpus root.  A FIFO, a device or /proc would hang
 * the build or leak what it holds; a symlink is judged by where it leads.  Returns 0,
 * or -1 with *code and err set (nothing of the path is read). */
int reindex_check_path(const reindex_roots_t *roots, const char *path, char **out,
                       const char **code, char *err, size_t errlen)
{
    *out = NULL;
    *code = "bad_request";
    if (path[0] != '/') {
        snprintf(err, errlen, "paths must be absolute, not '%s'", path);
        return -1;
    }
    char *resolved = realpath(path, NULL);
    if (!resolved) {
        if (errno == ENOMEM)
            *code = "internal";
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t k = 0;
    while (k < roots->n && !under_root(resolved, roots->roots[k]))
        k++;
    *code = "forbidden";
    if (k == roots->n) {
        if (roots->n == 0)
            snprintf(err, errlen, "%s: newsd has no corpus root to read from; start it with "
                     "--corpus-root DIR", path);
        else
            snprintf(err, errlen, "%s is outside the corpus roots (--corpus-root)", path);
        free(resolved);
        return -1;
    }
    struct stat st;
    if (stat(resolved, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "%s is not a regular file or a folder", path);
        free(resolved);
        return -1;
    }
    *out = resolved;
    return 0;
}

/* Replaces every path of list (n, NULL-terminated, owned) by its resolved form after
 * reindex_check_path; on failure frees the list. */
static int check_list(const reindex_roots_t *roots, char **list, size_t n, const char **code,
                      char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char *resolved;
        if (reindex_check_path(roots, list[i], &resolved, code, err, errlen) != 0) {
            reindex_free_list(list, n);
            return -1;
        }
        free(list[i]);
        list[i] = resolved;
    }
    return 0;
}

/* The job's paths as a new NULL-terminated list (*out, *nout): those requested, else
 * those the index records, each resolved after reindex_check_path.  Returns 0, or -1 with *code
 * and err set. */
int reindex_job_paths(const char *index_path, const reindex_roots_t *roots,
                      const char *const *paths, size_t npaths, char ***out, size_t *nout,
                      const char **code, char *err, size_t errlen)
{
    char **list = NULL;
    size_t n = 0;
    if (npaths == 0) {
        if (recorded_paths(index_path, &list, &n, err, errlen) != 0)
            return -1;
    } else {
        list = calloc(npaths + 1, sizeof *list);
        for (size_t i = 0; list && i < npaths; i++)
            if (!(list[n++] = strdup(paths[i]))) {
                reindex_free_list(list, n);
                list = NULL;
            }
        if (!list) {
            *code = "internal";
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    /* checked again, resolved, and the resolved paths are what the indexer gets: the
     * paths may have changed since reindex_start's first check */
    if (check_list(roots, list, n, code, err, errlen) != 0)
        return -1;
    *out = list;
    *nout = n;
    return 0;
}

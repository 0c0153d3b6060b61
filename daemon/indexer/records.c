/*
 * records.c: what a run records in the index's metadata (newsindex(8), "INDEX LAYOUT"):
 * per source file "newsd.file:<path>" = "<size> <mtime_ns> <docs> <path>", written in
 * the same commit as the file's documents so that an update can skip a file whose size
 * and mtime match; and "newsd.paths", the JSON array of the paths the index was built
 * from, which REINDEX without paths reads.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer.h"

/* "newsd.file:<path>", or "newsd.file:#<digest>" when that would be over-long. */
static void record_key(const char *real, char key[NEWSD_MAX_METADATA_KEY_LEN + 1])
{
    if (strlen(FILE_KEY_PREFIX) + strlen(real) <= NEWSD_MAX_METADATA_KEY_LEN) {
        snprintf(key, NEWSD_MAX_METADATA_KEY_LEN + 1, "%s%s", FILE_KEY_PREFIX, real);
    } else {
        char d[NEWSIDX_DIGEST_LEN + 1];
        newsidx_digest(real, d);
        snprintf(key, NEWSD_MAX_METADATA_KEY_LEN + 1, "%s#%s", FILE_KEY_PREFIX, d);
    }
}

/* A record's value is "<size> <mtime_ns> <docs> <path>".  Returns -1 if malformed. */
int record_parse(const char *value, record_t *rec)
{
    int off = 0;
    if (sscanf(value, "%" SCNu64 " %" SCNd64 " %" SCNu64 " %n", &rec->size, &rec->mtime_ns,
               &rec->docs, &off) != 3 || off == 0 || value[off] != '/')
        return -1;
    rec->path = value + off;
    return 0;
}

newsidx_status_t record_write(newsidx_writer_t *w, const file_state_t *fs, uint64_t docs)
{
    char key[NEWSD_MAX_METADATA_KEY_LEN + 1];
    record_key(fs->real, key);
    /* three numbers of at most 20 digits, their separators, the path and the NUL */
    size_t len = 3 * 21 + strlen(fs->real) + 1;
    char *value = malloc(len);
    if (!value)
        return NEWSIDX_NO_MEMORY;
    snprintf(value, len, "%" PRIu64 " %" PRId64 " %" PRIu64 " %s", fs->size, fs->mtime_ns, docs,
             fs->real);
    newsidx_status_t st = newsidx_writer_set_metadata(w, key, value);
    free(value);
    return st;
}
/* 1 when path is root or lies below it. */
int record_path_under(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/' ||
                                           (n > 0 && root[n - 1] == '/'));
}

/* Appends s to arr unless a path already in arr covers it; removes the ones it covers. */
static void add_root(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (record_path_under(s, json_string_value(v)))
            return;
    for (i = json_array_size(arr); i-- > 0;)
        if (record_path_under(json_string_value(json_array_get(arr, i)), s))
            json_array_remove(arr, i);
    json_array_append_new(arr, json_string(s));
}

/*
 * The JSON array stored in newsd.paths (malloc'd): the command line's paths, and for an
 * update also those already recorded, so that an update of one folder does not make a
 * later REINDEX without paths forget the others.  A path below another is left out.
 */
static char *paths_json(const options_t *opt, const char *recorded)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    json_t *old = recorded ? json_loads(recorded, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(old, i, v)
        if (json_is_string(v))
            add_root(arr, json_string_value(v));
    json_decref(old);
    for (size_t k = 0; k < opt->npaths; k++) {
        json_t *probe = json_string(opt->roots[k]);
        if (!probe) {
            progress_warn("%s: not UTF-8; left out of %s", opt->roots[k], PATHS_KEY);
            continue;
        }
        json_decref(probe);
        add_root(arr, opt->roots[k]);
    }
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/* update: 1 to keep the paths recorded before (an update), 0 to replace them (a build). */
newsidx_status_t record_set_paths(const options_t *opt, newsidx_writer_t *w, int update)
{
    char *recorded = NULL;
    if (update)
        newsidx_writer_get_metadata(w, PATHS_KEY, &recorded);
    char *json = paths_json(opt, recorded);
    free(recorded);
    if (!json)
        return NEWSIDX_NO_MEMORY;
    newsidx_status_t st = newsidx_writer_set_metadata(w, PATHS_KEY, json);
    free(json);
    return st;
}

/* Opens dir, records the run's paths in it and commits (progress_fail on failure). */
int record_commit_paths(const options_t *opt, const char *dir)
{
    newsidx_writer_t *w = NULL;
    newsidx_status_t st = newsidx_writer_open(dir, 0, &w);
    if (st == NEWSIDX_OK)
        st = record_set_paths(opt, w, 0);
    if (st == NEWSIDX_OK) {
        st = newsidx_writer_close(w);
        w = NULL;
    }
    if (st != NEWSIDX_OK) {
        progress_fail("recording the paths in %s failed (%s): %s", dir, newsidx_status_name(st),
                      w ? newsidx_writer_error(w) : "");
        newsidx_writer_abandon(w);
        return -1;
    }
    return 0;
}
/* 1 when writer w holds a record of fs matching its size and mtime (adding the
 * documents it counts to *docs); 0 when not; -1 when the metadata cannot be read. */
int record_matches(newsidx_writer_t *w, const file_state_t *fs, uint64_t *docs)
{
    char key[NEWSD_MAX_METADATA_KEY_LEN + 1];
    char *value = NULL;
    record_key(fs->real, key);
    if (newsidx_writer_get_metadata(w, key, &value) != NEWSIDX_OK)
        return -1;
    record_t rec;
    int match = value && record_parse(value, &rec) == 0 && rec.size == fs->size &&
                rec.mtime_ns == fs->mtime_ns && strcmp(rec.path, fs->real) == 0;
    if (match)
        *docs += rec.docs;
    free(value);
    return match;
}

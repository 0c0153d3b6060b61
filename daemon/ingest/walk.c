/*
 * walk.c: the folder walker: expands the paths named on a command line into a sorted list
 * of files (fts(3) in byte order of names), skipping the corpora's own documentation and
 * hidden files, applying the --include/--exclude globs (fnmatch(3)), warning about what is
 * neither a file nor a folder, and listing a file named twice once (by dev/ino).
 */
#include <errno.h>
#include <fnmatch.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest_internal.h"

typedef struct walk_key {
    dev_t dev;
    ino_t ino;
    size_t index;   /* position in the list */
} walk_key_t;

typedef struct walk {
    ingest_filelist_t *list;
    walk_key_t *keys;   /* parallel to list->files */
    const char *const *include, *const *exclude;
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    unsigned *errors;
} walk_t;

static void walk_warn_msg(walk_t *w, const char *path, const char *why)
{
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "%s: %s", path, why);
    if (w->warn)
        w->warn(w->ctx, msg);
    if (w->errors)
        (*w->errors)++;
}

static void walk_warn(walk_t *w, const char *path, int err)
{
    walk_warn_msg(w, path, strerror(err));
}

static int glob_any(const char *const *globs, const char *name)
{
    for (size_t i = 0; globs && globs[i]; i++)
        if (fnmatch(globs[i], name, 0) == 0)
            return 1;
    return 0;
}

static int wanted(const walk_t *w, const char *name)
{
    if (w->include && w->include[0] && !glob_any(w->include, name))
        return 0;
    return !glob_any(w->exclude, name);
}

/* Files a folder walk never lists: the corpora's own documentation and hidden files. */
static int skipped_name(const char *name)
{
    return name[0] == '.' || fnmatch("README*", name, FNM_CASEFOLD) == 0 ||
           fnmatch("LICENSE*", name, FNM_CASEFOLD) == 0 ||
           fnmatch("*.dtd", name, FNM_CASEFOLD) == 0;
}

static int walk_add(walk_t *w, const char *path, const char *id, const struct stat *st)
{
    ingest_filelist_t *l = w->list;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ingest_file_t *f = realloc(l->files, cap * sizeof *f);
        if (!f)
            return -1;
        l->files = f;
        walk_key_t *k = realloc(w->keys, cap * sizeof *k);
        if (!k)
            return -1;
        w->keys = k;
        l->cap = cap;
    }
    ingest_file_t *f = &l->files[l->n];
    f->path = strdup(path);
    f->id = strdup(id);
    if (!f->path || !f->id) {
        free(f->path);
        free(f->id);
        return -1;
    }
    f->size = (uint64_t)st->st_size;
    f->mtime = (int64_t)st->st_mtime;
    w->keys[l->n] = (walk_key_t){ st->st_dev, st->st_ino, l->n };
    l->n++;
    return 0;
}

static int by_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* The name a folder contributes to ids: its base name, or its real path's for "." etc. */
static char *folder_label(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    char *copy = strndup(path, n);
    if (!copy)
        return NULL;
    const char *b = ingest_base_name(copy);
    if (strcmp(b, ".") != 0 && strcmp(b, "..") != 0 && *b) {
        char *label = strdup(b);
        free(copy);
        return label;
    }
    char *real = realpath(copy, NULL);
    free(copy);
    if (!real)
        return strdup("");
    char *label = strdup(ingest_base_name(real));
    free(real);
    return label;
}

static int walk_folder(walk_t *w, const char *root)
{
    char *label = folder_label(root);
    if (!label)
        return -1;
    size_t rootlen = strlen(root);
    while (rootlen > 0 && root[rootlen - 1] == '/')
        rootlen--;
    char *roots[2] = { (char *)root, NULL };
    FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW, by_name);
    if (!fts) {
        walk_warn(w, root, errno);
        free(label);
        return 0;
    }
    int rc = 0;
    FTSENT *e;
    while (rc == 0 && (e = fts_read(fts)) != NULL) {
        if (e->fts_level == 0)
            continue;
        switch (e->fts_info) {
        case FTS_D:
            if (e->fts_name[0] == '.')
                fts_set(fts, e, FTS_SKIP);
            break;
        case FTS_F: {
            if (skipped_name(e->fts_name) || !wanted(w, e->fts_name))
                break;
            const char *rel = e->fts_path + rootlen;
            while (*rel == '/')
                rel++;
            size_t idlen = strlen(label) + 1 + strlen(rel) + 1;
            char *id = malloc(idlen);
            if (!id) {
                rc = -1;
                break;
            }
            snprintf(id, idlen, "%s%s%s", label, *label ? "/" : "", rel);
            rc = walk_add(w, e->fts_path, id, e->fts_statp);
            free(id);
            break;
        }
        case FTS_DNR:
        case FTS_ERR:
        case FTS_NS:
            walk_warn(w, e->fts_path, e->fts_errno);
            break;
        case FTS_DEFAULT:  /* FIFOs, sockets, devices */
            if (!skipped_name(e->fts_name) && wanted(w, e->fts_name))
                walk_warn_msg(w, e->fts_path, ingest_not_regular(e->fts_statp->st_mode));
            break;
        default:  /* symlinks inside folders, cycles, post-order dirs */
            break;
        }
    }
    fts_close(fts);
    free(label);
    return rc;
}

static int by_key(const void *a, const void *b)
{
    const walk_key_t *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Drops every file whose dev/ino appeared earlier in the list, keeping the order. */
static int dedupe(walk_t *w)
{
    ingest_filelist_t *l = w->list;
    if (l->n < 2)
        return 0;
    walk_key_t *sorted = malloc(l->n * sizeof *sorted);
    char *drop = calloc(l->n, 1);
    if (!sorted || !drop) {
        free(sorted);
        free(drop);
        return -1;
    }
    memcpy(sorted, w->keys, l->n * sizeof *sorted);
    qsort(sorted, l->n, sizeof *sorted, by_key);
    for (size_t i = 1; i < l->n; i++)
        if (sorted[i].dev == sorted[i - 1].dev && sorted[i].ino == sorted[i - 1].ino)
            drop[sorted[i].index] = 1;
    size_t out = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (drop[i]) {
            free(l->files[i].path);
            free(l->files[i].id);
        } else {
            l->files[out++] = l->files[i];
        }
    }
    l->n = out;
    free(sorted);
    free(drop);
    return 0;
}

int ingest_walk(const char *const *paths, size_t npaths, const char *const *include,
                const char *const *exclude, ingest_filelist_t *list,
                void (*warn)(void *ctx, const char *msg), void *ctx, unsigned *errors)
{
    walk_t w = { .list = list, .include = include, .exclude = exclude, .warn = warn,
                 .ctx = ctx, .errors = errors };
    int rc = 0;
    /* files already listed by an earlier call take part in the dedupe */
    if (list->cap) {
        w.keys = calloc(list->cap, sizeof *w.keys);
        if (!w.keys)
            return -1;
        for (size_t i = 0; i < list->n; i++) {
            struct stat st;
            w.keys[i] = (walk_key_t){ 0, 0, i };
            if (stat(list->files[i].path, &st) == 0) {
                w.keys[i].dev = st.st_dev;
                w.keys[i].ino = st.st_ino;
            } else {
                w.keys[i].ino = (ino_t)-1 - i;  /* unique: never matches a real file */
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            walk_warn(&w, paths[i], errno);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk_folder(&w, paths[i]);
        } else if (!S_ISREG(st.st_mode)) {
            walk_warn_msg(&w, paths[i], ingest_not_regular(st.st_mode));
        } else if (wanted(&w, ingest_base_name(paths[i]))) {
            rc = walk_add(&w, paths[i], ingest_base_name(paths[i]), &st);
        }
    }
    if (rc == 0)
        rc = dedupe(&w);
    free(w.keys);
    return rc;
}

void ingest_filelist_free(ingest_filelist_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free(list->files[i].path);
        free(list->files[i].id);
    }
    free(list->files);
    list->files = NULL;
    list->n = list->cap = 0;
}

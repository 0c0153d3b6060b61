/*
 * dump_xmlpipe2: writes the corpus, read through the daemon's readers (bench_corpus.h),
 * as a Sphinx xmlpipe2 stream on stdout, so Sphinx's `indexer` indexes exactly the
 * records newsindex does.  run.sh names this program as the xmlpipe_command of a
 * generated sphinx.conf; its time therefore counts in Sphinx's build time, as parsing
 * counts in everyone else's (it runs as a separate process, beside indexer).
 *
 * Sphinx 2.2 document ids must be positive integers, so records are numbered from 1 in
 * input order; the news id travels as a string attribute.  title and body are full-text
 * fields; date and source are not indexed, as in the FTS5 peer.
 *
 *   dump_xmlpipe2 PATH...      (the stats line goes to stderr)
 */
#include <stdio.h>

#include "bench_corpus.h"

typedef struct dump_ctx {
    FILE *out;
    unsigned long long next_id;
} dump_ctx_t;

/* The readers promise UTF-8 without control characters, so escaping the three markup
 * characters is all XML needs here. */
static void put_escaped(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        default: putc(*s, out);
        }
    }
}

static void put_element(FILE *out, const char *name, const char *text)
{
    fprintf(out, "<%s>", name);
    put_escaped(out, text);
    fprintf(out, "</%s>\n", name);
}

static int dump_one(void *vctx, const newsidx_doc_t *doc)
{
    dump_ctx_t *ctx = vctx;
    fprintf(ctx->out, "<sphinx:document id=\"%llu\">\n", ctx->next_id++);
    put_element(ctx->out, "newsid", doc->id);
    put_element(ctx->out, "title", doc->title);
    put_element(ctx->out, "body", doc->body);
    fputs("</sphinx:document>\n", ctx->out);
    /* indexer closing the pipe early shows up here rather than as a silent short index */
    return ferror(ctx->out) ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dump_xmlpipe2 PATH...\n");
        return 2;
    }
    /* Full buffering: stdout is a pipe to indexer and line buffering would cost a
     * syscall per line. */
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
          "<sphinx:docset>\n"
          "<sphinx:schema>\n"
          "<sphinx:field name=\"title\"/>\n"
          "<sphinx:field name=\"body\"/>\n"
          "<sphinx:attr name=\"newsid\" type=\"string\"/>\n"
          "</sphinx:schema>\n", stdout);
    dump_ctx_t ctx = { stdout, 1 };
    double t0 = bench_now();
    bench_corpus_stats_t stats;
    int rc = bench_corpus_each((const char *const *)argv + 1, argc - 1, dump_one, &ctx, &stats);
    fputs("</sphinx:docset>\n", stdout);
    if (fflush(stdout) != 0)
        rc = -1;
    bench_corpus_report(stderr, "dump_xmlpipe2", &stats, bench_now() - t0);
    return rc == 0 && stats.docs > 0 ? 0 : 1;
}

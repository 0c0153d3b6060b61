/*
 * test_proto.c: the request-line parser (daemon/server/proto.c): commands, options, arguments,
 * and every kind of bad line: garbage, NUL bytes, control bytes, invalid UTF-8, HTTP
 * request lines, unknown and repeated options, over-long names and values, too many
 * options, missing and extra arguments; AUTH, the commands that need write authority,
 * and the lines whose text the log must not quote.  Also the reply printer (reply.c) that
 * the handlers answer through: the same calls give the text and the JSON form.  And the
 * values of SEARCH's facet and filter options (cmd.c, cmd_search_options): the facet list
 * into bits, facet_limit, the filter lists passed through to the index, and each bad value.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "check.h"
#include "cmd_int.h"
#include "proto.h"
#include "reply.h"
#include "utf8.h"

static char err[256];

static proto_status_t parse(const char *line, proto_request_t *req)
{
    return proto_parse(line, strlen(line), req, err, sizeof err);
}

static void test_commands(void)
{
    proto_request_t r;
    CHECK_INT(parse("PING", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_PING);
    CHECK_INT(r.arg_len, 0);
    CHECK_INT(parse("ping", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_PING);
    CHECK_INT(parse("  \tSeArCh\t cocoa  prices \t", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_SEARCH);
    CHECK_INT(r.arg_len, 13);
    CHECK(memcmp(r.arg, "cocoa  prices", 13) == 0);
    CHECK_INT(r.nopts, 0);
    CHECK_INT(parse("GET corpus/a b.txt", &r), PROTO_OK);
    CHECK(r.arg_len == 14 && memcmp(r.arg, "corpus/a b.txt", 14) == 0);
    CHECK_INT(parse("ADD {\"id\":\"x=1\",\"title\":\"t\"}", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_ADD);
    CHECK_INT(r.nopts, 0);
    CHECK_INT(parse("FORMAT json", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_FORMAT);
    /* REINDEX's paths are optional */
    CHECK_INT(parse("REINDEX", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_REINDEX);
    CHECK_INT(r.arg_len, 0);
    CHECK_INT(parse("reindex /srv/a \"/srv/b c\"", &r), PROTO_OK);
    CHECK(r.arg_len == 17 && memcmp(r.arg, "/srv/a \"/srv/b c\"", 17) == 0);
    CHECK_INT(parse("REINDEX cancel=1", &r), PROTO_OK);
    CHECK_STR(proto_option(&r, "cancel"), "1");
    CHECK_INT(parse("REINDEX format=json -- /srv/a", &r), PROTO_OK);
    CHECK(r.arg_len == 6 && memcmp(r.arg, "/srv/a", 6) == 0);
    CHECK_INT(parse("REINDEX limit=3 /srv/a", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'limit' for REINDEX");
    CHECK_INT(parse("STATUS", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_STATUS);
    CHECK_INT(parse("STATUS now", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "STATUS takes no argument");
    CHECK_INT(parse("SIMILAR limit=3 topic=crude reuters-5", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_SIMILAR);
    CHECK(r.arg_len == 9 && memcmp(r.arg, "reuters-5", 9) == 0);
    CHECK_STR(proto_option(&r, "topic"), "crude");
    CHECK_INT(parse("SIMILAR sort=date reuters-5", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'sort' for SIMILAR");
    CHECK_INT(parse("SIMILAR", &r), PROTO_BAD_REQUEST);
    CHECK_INT(parse("SIMILAR collapse=0 reuters-5", &r), PROTO_OK);
    CHECK_STR(proto_option(&r, "collapse"), "0");
    CHECK_INT(parse("SEARCH collapse=1 oil", &r), PROTO_OK);
    CHECK_INT(parse("COUNT collapse=1 oil", &r), PROTO_OK);
    CHECK_INT(parse("DUPS reuters-5", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_DUPS);
    CHECK(r.arg_len == 9 && memcmp(r.arg, "reuters-5", 9) == 0);
    CHECK_INT(parse("DUPS partial=1 format=json reuters-5", &r), PROTO_OK);
    CHECK_INT(parse("DUPS limit=3 reuters-5", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'limit' for DUPS");
    CHECK_INT(parse("DUPS", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "DUPS needs an argument: DUPS [partial=0|1 format=F] ID");
    size_t n;
    const proto_command_t *t = proto_commands(&n);
    CHECK_INT(n, PROTO_CMD_COUNT_OF);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(t[i].cmd, i);
}

static void test_options(void)
{
    proto_request_t r;
    CHECK_INT(parse("SEARCH limit=5 offset=10 sort=date format=json \"istanbul convention\"",
                    &r), PROTO_OK);
    CHECK_INT(r.nopts, 4);
    CHECK_STR(proto_option(&r, "limit"), "5");
    CHECK_STR(proto_option(&r, "offset"), "10");
    CHECK_STR(proto_option(&r, "sort"), "date");
    CHECK_STR(proto_option(&r, "format"), "json");
    CHECK(proto_option(&r, "topic") == NULL);
    CHECK(r.arg_len == 21 && memcmp(r.arg, "\"istanbul convention\"", 21) == 0);
    /* an empty value is a value */
    CHECK_INT(parse("SEARCH source= oil", &r), PROTO_OK);
    CHECK_STR(proto_option(&r, "source"), "");
    /* the first token that is no option starts the argument, even if later ones are */
    CHECK_INT(parse("SEARCH oil limit=5", &r), PROTO_OK);
    CHECK_INT(r.nopts, 0);
    CHECK(r.arg_len == 11 && memcmp(r.arg, "oil limit=5", 11) == 0);
    /* "--" ends the options */
    CHECK_INT(parse("SEARCH limit=1 -- a=b", &r), PROTO_OK);
    CHECK_INT(r.nopts, 1);
    CHECK(r.arg_len == 3 && memcmp(r.arg, "a=b", 3) == 0);
    /* upper case is no option name: it is the query */
    CHECK_INT(parse("SEARCH Limit=5", &r), PROTO_OK);
    CHECK_INT(r.nopts, 0);
    CHECK_INT(parse("SEARCH limit=5 limit=6 oil", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "option 'limit' given twice");
    CHECK_INT(parse("SEARCH colour=red oil", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'colour' for SEARCH");
    CHECK_INT(parse("COUNT limit=5 oil", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'limit' for COUNT");
    CHECK_INT(parse("PING format=json", &r), PROTO_OK);
    CHECK_STR(proto_option(&r, "format"), "json");

    char line[1024];
    memset(line, 0, sizeof line);
    strcpy(line, "SEARCH ");
    memset(line + 7, 'a', NEWSD_MAX_OPTION_NAME + 1);
    strcat(line, "=1 oil");
    CHECK_INT(parse(line, &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "option name longer than 32 bytes");
    memset(line, 0, sizeof line);
    strcpy(line, "SEARCH source=");
    memset(line + 14, 'v', NEWSD_MAX_OPTION_VALUE + 1);
    strcat(line, " oil");
    CHECK_INT(parse(line, &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "value of 'source' longer than 256 bytes");
    memset(line, 0, sizeof line);
    strcpy(line, "SEARCH source=");
    memset(line + 14, 'v', NEWSD_MAX_OPTION_VALUE);
    strcat(line, " oil");
    CHECK_INT(parse(line, &r), PROTO_OK);
    CHECK_INT(strlen(proto_option(&r, "source")), NEWSD_MAX_OPTION_VALUE);
    /* more options than the cap (names repeat, but the count is checked first) */
    strcpy(line, "SEARCH");
    const char *names[] = { "limit", "offset", "snippet", "sort", "since", "until", "source",
                            "topic", "format", "exact" };
    for (int i = 0; i < 10; i++) {
        strcat(line, " ");
        strcat(line, names[i]);
        strcat(line, "=1");
    }
    strcat(line, " oil");
    CHECK_INT(parse(line, &r), PROTO_OK);
    CHECK_INT(r.nopts, 10);
    /* seventeen options: over the cap whatever their names */
    strcpy(line, "SEARCH");
    for (int i = 0; i < NEWSD_MAX_OPTIONS + 1; i++)
        strcat(line, " limit=1");
    strcat(line, " oil");
    CHECK_INT(parse(line, &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "option 'limit' given twice");
}

static void test_arguments(void)
{
    proto_request_t r;
    CHECK_INT(parse("SEARCH", &r), PROTO_BAD_REQUEST);
    CHECK(strncmp(err, "SEARCH needs an argument", 24) == 0);
    CHECK_INT(parse("SEARCH limit=5", &r), PROTO_BAD_REQUEST);
    CHECK_INT(parse("GET   ", &r), PROTO_BAD_REQUEST);
    CHECK_INT(parse("PING x", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "PING takes no argument");
    CHECK_INT(parse("QUIT now", &r), PROTO_BAD_REQUEST);
    CHECK_INT(parse("", &r), PROTO_EMPTY);
    CHECK_INT(parse(" \t  ", &r), PROTO_EMPTY);
}

static void test_bad_bytes(void)
{
    proto_request_t r;
    CHECK_INT(proto_parse("PING\0x", 6, &r, err, sizeof err), PROTO_BAD_REQUEST);
    CHECK_STR(err, "NUL byte in request");
    CHECK_INT(proto_parse("\0", 1, &r, err, sizeof err), PROTO_BAD_REQUEST);
    CHECK_INT(parse("PING\r", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "control character in request");
    CHECK_INT(parse("\x1b[A", &r), PROTO_BAD_REQUEST);
    CHECK_INT(parse("SEARCH caf\xe9", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "request is not valid UTF-8");
    CHECK_INT(parse("SEARCH \xc0\xaf", &r), PROTO_BAD_REQUEST);       /* overlong '/' */
    CHECK_INT(parse("SEARCH \xed\xa0\x80", &r), PROTO_BAD_REQUEST);   /* surrogate */
    CHECK_INT(parse("SEARCH \xf4\x90\x80\x80", &r), PROTO_BAD_REQUEST); /* > U+10FFFF */
    CHECK_INT(parse("SEARCH \xe2\x82", &r), PROTO_BAD_REQUEST);       /* truncated */
    CHECK_INT(parse("SEARCH caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb0", &r), PROTO_OK);
    CHECK(utf8_valid("", 0));
    /* garbage: every byte value, in a fixed pseudo-random order, never crashes */
    unsigned x = 12345;
    char buf[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 500) + 1;
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (char)(x >> 16);
        }
        proto_status_t st = proto_parse(buf, n, &r, err, sizeof err);
        CHECK(st == PROTO_OK || st == PROTO_EMPTY || st == PROTO_BAD_REQUEST ||
              st == PROTO_UNKNOWN_COMMAND);
        CHECK(utf8_valid(err, strlen(err)));
    }
}

static void test_unknown_and_http(void)
{
    proto_request_t r;
    CHECK_INT(parse("FROB x", &r), PROTO_UNKNOWN_COMMAND);
    CHECK_STR(err, "unknown command 'FROB' (send HELP)");
    CHECK_INT(parse("SEARCHX oil", &r), PROTO_UNKNOWN_COMMAND);
    CHECK_INT(parse("GET / HTTP/1.1", &r), PROTO_HTTP);
    CHECK_INT(parse("POST /search HTTP/1.0", &r), PROTO_HTTP);
    CHECK_INT(parse("GET /x HTTP/1.1 extra", &r), PROTO_OK);   /* not the last token */
    CHECK_INT(parse("get / HTTP/1.1", &r), PROTO_OK);          /* lowercase method: a GET */
    /* a long unknown command is quoted cut at a character boundary, as valid UTF-8 */
    char line[200];
    memset(line, 0, sizeof line);
    for (int i = 0; i < 50; i++)
        memcpy(line + 2 * i, "\xc3\xa9", 2);
    CHECK_INT(parse(line, &r), PROTO_UNKNOWN_COMMAND);
    CHECK(utf8_valid(err, strlen(err)));
    CHECK(strlen(err) < 100);
}

/* AUTH and the write flag behind the one authority check (cmd.c). */
static void test_auth(void)
{
    proto_request_t r;
    CHECK_INT(parse("AUTH s3cret-token_0123", &r), PROTO_OK);
    CHECK_INT(r.command->cmd, PROTO_CMD_AUTH);
    CHECK(r.arg_len == 17 && memcmp(r.arg, "s3cret-token_0123", 17) == 0);
    CHECK_INT(parse("auth format=json -- abc=def", &r), PROTO_OK);
    CHECK_STR(proto_option(&r, "format"), "json");
    CHECK(r.arg_len == 7 && memcmp(r.arg, "abc=def", 7) == 0);
    CHECK_INT(parse("AUTH Token=With=Equals", &r), PROTO_OK);   /* upper case: no option */
    CHECK(r.arg_len == 17);
    CHECK_INT(parse("AUTH", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "AUTH needs an argument: AUTH [format=F] TOKEN");
    CHECK_INT(parse("AUTH limit=1 tok", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'limit' for AUTH");

    size_t n;
    const proto_command_t *t = proto_commands(&n);
    for (size_t i = 0; i < n; i++) {
        int writes = t[i].cmd == PROTO_CMD_ADD || t[i].cmd == PROTO_CMD_DELETE ||
                     t[i].cmd == PROTO_CMD_REINDEX;
        int queued = t[i].cmd == PROTO_CMD_ADD || t[i].cmd == PROTO_CMD_DELETE;
        CHECK_INT(!!(t[i].flags & PROTO_WRITE), writes);
        CHECK_INT(!!(t[i].flags & PROTO_QUEUED), queued);
        CHECK_INT(!!(t[i].flags & PROTO_SECRET), t[i].cmd == PROTO_CMD_AUTH);
    }

    /* proto_find: the first word, in any case, after spaces; a prefix is no command */
    CHECK(proto_find("ADD {}", 6) && proto_find("ADD {}", 6)->cmd == PROTO_CMD_ADD);
    CHECK(proto_find(" \tdelete x", 10) && proto_find(" \tdelete x", 10)->cmd == PROTO_CMD_DELETE);
    CHECK(proto_find("DELETE", 6) && proto_find("DELETE", 6)->cmd == PROTO_CMD_DELETE);
    CHECK(proto_find("ADDx {}", 7) == NULL);
    CHECK(proto_find("AD", 2) == NULL);
    CHECK(proto_find("", 0) == NULL);
    CHECK(proto_find("DELETE x", 3) == NULL);   /* only the bytes given are read */

    const char *secret[] = { "AUTH x", "auth x", "  \tAuTh x", "AUTH", "AUTH\x01x", "AUTHOR x",
                             "AUTH\tx" };
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        CHECK(proto_is_secret_line(secret[i], strlen(secret[i])));
    const char *plain[] = { "", "   ", "AUT", "PING", "SEARCH AUTH x", "xAUTH", "ADD {\"AUTH\"}" };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        CHECK(!proto_is_secret_line(plain[i], strlen(plain[i])));
    /* only the bytes given are read */
    CHECK(!proto_is_secret_line("AUTH", 3));
}

/* One reply in both forms: a header, a list of rows, members for one back end only. */
static void sample_reply(reply_t *r, struct evbuffer *out, reply_format_t f)
{
    static const char *const tags[] = { "a", "b\tc" };
    reply_begin(r, out, f, "ok");
    reply_kv_uint(r, "total", 2);
    reply_next(r, REPLY_TEXT_ONLY);
    reply_kv_string(r, "shown", "x y");
    reply_key(r, "rows");
    reply_begin_list(r);
    for (int i = 0; i < 2; i++) {
        reply_begin_map(r);
        reply_kv_uint(r, "n", (uint64_t)i + 1);
        reply_kv_real(r, "score", 1.23456, 2);
        reply_next(r, REPLY_JSON_ONLY);
        reply_key(r, "tags");
        reply_begin_list(r);
        reply_string(r, tags[i]);
        reply_end_list(r);
        reply_kv_string(r, "name", tags[i]);
        reply_end_map(r);
    }
    reply_end_list(r);
    reply_key(r, "doc");
    reply_begin_map(r);
    reply_kv_bool(r, "up", 1);
    reply_key(r, "list");
    reply_begin_list(r);
    reply_string(r, "p");
    reply_string(r, "q\nr");
    reply_end_list(r);
    reply_end_map(r);
    reply_next(r, REPLY_JSON_ONLY);
    reply_key(r, "none");
    reply_null(r);
    reply_end(r);
}

static char *drain(struct evbuffer *out)
{
    size_t n = evbuffer_get_length(out);
    char *s = malloc(n + 1);
    evbuffer_remove(out, s, n);
    s[n] = '\0';
    return s;
}

static void test_reply(void)
{
    struct evbuffer *out = evbuffer_new();
    reply_t r;
    sample_reply(&r, out, REPLY_TEXT);
    char *s = drain(out);
    CHECK_STR(s, "OK total=2 shown=x y\n1\t1.23\ta\n2\t1.23\tb c\n"
                 "up\t1\nlist\tp,q r\nEND\n");
    free(s);
    sample_reply(&r, out, REPLY_JSON);
    s = drain(out);
    CHECK_STR(s, "{\"status\":\"ok\",\"total\":2,\"rows\":[{\"n\":1,\"score\":1.235,"
                 "\"tags\":[\"a\"],\"name\":\"a\"},{\"n\":2,\"score\":1.235,"
                 "\"tags\":[\"b\\tc\"],\"name\":\"b\\tc\"}],"
                 "\"doc\":{\"up\":true,\"list\":[\"p\",\"q\\nr\"]},\"none\":null}\n");
    free(s);

    /* bare values, lines, and an error with its shard in JSON alone */
    reply_begin(&r, out, REPLY_TEXT, "ok");
    reply_next(&r, REPLY_BARE);
    reply_kv_string(&r, "reply", "pong");
    reply_end(&r);
    reply_begin(&r, out, REPLY_TEXT, "ok");
    reply_next(&r, REPLY_LINE);
    reply_kv_uint(&r, "documents", 6);
    reply_end(&r);
    reply_error(out, REPLY_TEXT, "shard_unavailable", "s1", "s1: down");
    reply_error(out, REPLY_JSON, "shard_unavailable", "s1", "s1: down");
    reply_error(out, REPLY_JSON, "bad_request", NULL, "bad \xff byte");
    s = drain(out);
    CHECK_STR(s, "OK pong\nOK\ndocuments\t6\nEND\nERR shard_unavailable s1: down\n"
                 "{\"status\":\"error\",\"code\":\"shard_unavailable\",\"shard\":\"s1\","
                 "\"message\":\"s1: down\"}\n"
                 "{\"status\":\"error\",\"code\":\"bad_request\",\"message\":\"bad ? byte\"}\n");
    free(s);
    evbuffer_free(out);
}

/* cmd_search_options on the line; its message in err.  Returns its result. */
static int search_options(const char *line, proto_request_t *r, newsidx_search_opts_t *o)
{
    CHECK_INT(parse(line, r), PROTO_OK);
    newsidx_search_opts_init(o);
    return cmd_search_options(r, o, err, sizeof err);
}

static void test_facet_options(void)
{
    proto_request_t r;
    newsidx_search_opts_t o;
    CHECK_INT(search_options("SEARCH facets=month,source,day oil", &r, &o), 0);
    CHECK_INT(o.facets, NEWSIDX_FACET_BIT(NEWSIDX_FACET_MONTH) |
                        NEWSIDX_FACET_BIT(NEWSIDX_FACET_SOURCE) |
                        NEWSIDX_FACET_BIT(NEWSIDX_FACET_DAY));
    newsidx_search_opts_t dflt;
    newsidx_search_opts_init(&dflt);
    CHECK_INT(o.facet_limit, dflt.facet_limit);   /* the index's default stands */
    CHECK_INT(search_options("SEARCH facets=source,topic,place,year,month,day facet_limit=1000 "
                             "oil", &r, &o), 0);
    CHECK_INT(o.facets, (1u << NEWSIDX_FACETS) - 1);
    CHECK_INT(o.facet_limit, NEWSD_MAX_FACET_LIMIT);
    CHECK_INT(search_options("SEARCH facets=topic facet_limit=1 oil", &r, &o), 0);
    CHECK_INT(o.facet_limit, 1);
    CHECK_INT(search_options("SEARCH oil", &r, &o), 0);
    CHECK_INT(o.facets, 0);

    CHECK_INT(search_options("SEARCH facets=colour oil", &r, &o), -1);
    CHECK_STR(err, "unknown facet 'colour': facets are source, topic, place, year, month or day");
    CHECK_INT(search_options("SEARCH facets=Topic oil", &r, &o), -1);
    CHECK_STR(err, "unknown facet 'Topic': facets are source, topic, place, year, month or day");
    CHECK_INT(search_options("SEARCH facets= oil", &r, &o), -1);
    CHECK_STR(err, "facets needs a list of facet names: source, topic, place, year, month or day");
    const char *empty[] = { "SEARCH facets=topic,,month oil", "SEARCH facets=,topic oil",
                            "SEARCH facets=topic, oil", "SEARCH facets=, oil" };
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        CHECK_INT(search_options(empty[i], &r, &o), -1);
        CHECK_STR(err, "facets has an empty name (two commas, or one at an end)");
    }
    CHECK_INT(search_options("SEARCH facets=topic,month,topic oil", &r, &o), -1);
    CHECK_STR(err, "facet 'topic' given twice");
    const char *limits[] = { "0", "1001", "ten", "", "-1", "1e3", "99999999999" };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char line[96];
        snprintf(line, sizeof line, "SEARCH facets=topic facet_limit=%s oil", limits[i]);
        CHECK_INT(search_options(line, &r, &o), -1);
        CHECK_STR(err, "facet_limit must be a number from 1 to 1000");
    }
    CHECK_INT(search_options("SEARCH facet_limit=5 oil", &r, &o), -1);
    CHECK_STR(err, "facet_limit needs facets=");

    /* the filter lists go to the index as they are: it checks them */
    CHECK_INT(search_options("SEARCH source=a,b topic=c place=d not_source=e not_topic=f,g "
                             "not_place=h oil", &r, &o), 0);
    CHECK_STR(o.source, "a,b");
    CHECK_STR(o.topic, "c");
    CHECK_STR(o.place, "d");
    CHECK_STR(o.not_source, "e");
    CHECK_STR(o.not_topic, "f,g");
    CHECK_STR(o.not_place, "h");
    CHECK_INT(search_options("COUNT place=d not_place=e oil", &r, &o), 0);
    CHECK_STR(o.place, "d");
    CHECK_STR(o.not_place, "e");
    /* facets are a SEARCH option */
    CHECK_INT(parse("COUNT facets=topic oil", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'facets' for COUNT");
    CHECK_INT(parse("COUNT facet_limit=3 oil", &r), PROTO_BAD_REQUEST);
    CHECK_STR(err, "unknown option 'facet_limit' for COUNT");
}

int main(void)
{
    test_reply();
    test_commands();
    test_auth();
    test_options();
    test_facet_options();
    test_arguments();
    test_bad_bytes();
    test_unknown_and_http();
    return check_report();
}

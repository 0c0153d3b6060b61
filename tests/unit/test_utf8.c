/*
 * test_utf8.c: the one UTF-8 rule (daemon/common/utf8.c): strict validation (overlongs,
 * surrogates, code points past U+10FFFF, truncated and stray bytes refused; every valid
 * 2- and 3-byte string counted), encoding and decoding every code point, and cutting at a
 * character boundary.
 */
#include "check.h"
#include "utf8.h"

#define V(lit) utf8_valid(lit, sizeof lit - 1)

static void test_valid(void)
{
    CHECK(utf8_valid("", 0));
    CHECK(utf8_valid(NULL, 0));
    CHECK(V("plain ASCII ~\x7f"));
    CHECK(V("a\0b"));                             /* NUL is a character; callers refuse it */
    CHECK(V("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb0"));
    CHECK(V("\xc2\x80"));                         /* U+0080 */
    CHECK(V("\xdf\xbf"));                         /* U+07FF */
    CHECK(V("\xe0\xa0\x80"));                     /* U+0800 */
    CHECK(V("\xed\x9f\xbf"));                     /* U+D7FF, just below the surrogates */
    CHECK(V("\xee\x80\x80"));                     /* U+E000, just above them */
    CHECK(V("\xef\xbf\xbf"));                     /* U+FFFF */
    CHECK(V("\xf0\x90\x80\x80"));                 /* U+10000 */
    CHECK(V("\xf4\x8f\xbf\xbf"));                 /* U+10FFFF */

    CHECK(!V("caf\xe9"));                         /* Latin-1 */
    CHECK(!V("\x80"));                            /* a stray continuation byte */
    CHECK(!V("\xbf"));
    CHECK(!V("\xc0\xaf"));                        /* overlong '/' */
    CHECK(!V("\xc1\xbf"));                        /* overlong U+007F */
    CHECK(!V("\xe0\x9f\xbf"));                    /* overlong U+07FF */
    CHECK(!V("\xf0\x8f\xbf\xbf"));                /* overlong U+FFFF */
    CHECK(!V("\xed\xa0\x80"));                    /* U+D800 */
    CHECK(!V("\xed\xbf\xbf"));                    /* U+DFFF */
    CHECK(!V("\xf4\x90\x80\x80"));                /* U+110000 */
    CHECK(!V("\xf5\x80\x80\x80"));
    CHECK(!V("\xf8\x88\x80\x80\x80"));            /* the old 5-byte form */
    CHECK(!V("\xfe"));
    CHECK(!V("\xff"));
    CHECK(!V("\xe2\x82"));                        /* truncated at the end */
    CHECK(!V("\xf0\x9f\x93"));
    CHECK(!V("\xe2\x28\xa1"));                    /* a continuation byte missing */
    CHECK(!V("\xc3\xa9\xa9"));                    /* one too many */
    CHECK(!utf8_valid("\xc3\xa9", 1));            /* n is honoured: the string stops there */
    CHECK(utf8_valid("ab\xff", 2));
}

/* Every string of 1, 2 or 3 bytes: exactly the encodings of scalar values pass. */
static void test_valid_counts(void)
{
    unsigned long ones = 0, twos = 0, threes = 0;
    unsigned char s[3];
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        ones += (unsigned long)utf8_valid((const char *)s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            twos += (unsigned long)utf8_valid((const char *)s, 2);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char)c;
                threes += (unsigned long)utf8_valid((const char *)s, 3);
            }
        }
    }
    CHECK_INT(ones, 128);
    /* pairs of ASCII, and U+0080..U+07FF */
    CHECK_INT(twos, 128ul * 128 + 0x780);
    /* ASCII triples, ASCII with a 2-byte character either side, U+0800..U+FFFF but the
     * surrogates */
    CHECK_INT(threes, 128ul * 128 * 128 + 2ul * 128 * 0x780 + 0xF800 - 0x800);
}

static void test_encode_decode(void)
{
    char u[UTF8_MAX_BYTES];
    CHECK_INT(utf8_encode('A', u), 1);
    CHECK(u[0] == 'A');
    CHECK_INT(utf8_encode(0xE9, u), 2);
    CHECK(memcmp(u, "\xc3\xa9", 2) == 0);
    CHECK_INT(utf8_encode(0x20AC, u), 3);
    CHECK(memcmp(u, "\xe2\x82\xac", 3) == 0);
    CHECK_INT(utf8_encode(0x1F4F0, u), 4);
    CHECK(memcmp(u, "\xf0\x9f\x93\xb0", 4) == 0);

    /* every scalar value: its encoding is valid, as long as it should be, and decodes back */
    unsigned long bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        size_t n = utf8_encode(cp, u), len = 0;
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n != want || !utf8_valid(u, n) || utf8_decode(u, n, &len) != cp || len != n)
            bad++;
    }
    CHECK_INT(bad, 0);

    size_t len = 0;
    CHECK_INT(utf8_decode("\xe2\x82\xac!", 4, &len), 0x20AC);
    CHECK_INT(len, 3);
    utf8_decode("\xe2\x82", 2, &len);           /* cut short by n: never reads past it */
    CHECK_INT(len, 2);
}

static void test_cut(void)
{
    const char *s = "caf\xc3\xa9";                 /* 5 bytes, the last character 2 */
    CHECK_INT(utf8_cut(s, 5, 10), 5);
    CHECK_INT(utf8_cut(s, 5, 5), 5);
    CHECK_INT(utf8_cut(s, 5, 4), 3);               /* never half an é */
    CHECK_INT(utf8_cut(s, 5, 3), 3);
    CHECK_INT(utf8_cut(s, 5, 0), 0);
    CHECK_INT(utf8_cut("\xe2\x82\xac", 3, 2), 0);
    CHECK_INT(utf8_cut("\xf0\x9f\x93\xb0x", 5, 4), 4);
    CHECK_INT(utf8_cut("\xf0\x9f\x93\xb0x", 5, 3), 0);
    CHECK_INT(utf8_cut("abcdef", 6, 4), 4);

    /* every cut of a mixed string is valid, within one character of max */
    const char *mix = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xb0z\xc3\xa9";
    size_t n = strlen(mix);
    unsigned long bad = 0;
    for (size_t max = 0; max <= n + 1; max++) {
        size_t c = utf8_cut(mix, n, max);
        if (c > max || c > n || c + UTF8_MAX_BYTES <= (max < n ? max : n) ||
            !utf8_valid(mix, c))
            bad++;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    test_valid();
    test_valid_counts();
    test_encode_decode();
    test_cut();
    return check_report();
}

#!/bin/sh
# The search page (newsd(8), "HTTP", "The page") in a real browser: headless Chromium
# driven by Selenium (tests/e2e/http_page.py; Debian's chromium, chromium-driver and
# python3-selenium, which make deps installs: without them this suite fails).  The index
# holds the seed article, 25 wire articles that mention the same words less, two follow-ups
# to the seed, one titled "<script>...", one like it, and two copies of one text: type the
# query, Enter, the seed first with its words marked, the total, the facets and the
# timeline, page forward and back, filter by source, open the article, a follow-up's
# related stories and a click on one to its article, reload a shared URL with its sort, an
# error shown, the <script> title shown as text in the list, the article and the related
# stories, the two copies as one hit marked "(+1 similar)" and the article view listing
# the other as a link, no request to anywhere else.  The screenshot of the
# results page is kept in build/test-artefacts/ (not committed).
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
PY=/usr/bin/python3
for need in /usr/bin/chromium /usr/bin/chromedriver "$PY"; do
    [ -x "$need" ] || { echo "test_http_page: $need is missing: run make deps"; echo "0 passed, 1 failed"; exit 1; }
done
"$PY" -c 'import selenium' 2>/dev/null || { echo "test_http_page: no python3-selenium: run make deps"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p "$T/corpus"
cp "$ROOT/corpus/seed/"*.txt "$T/corpus/"
"$PY" - "$T/corpus/wire.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(25):
        # words of its own: identical bodies would be near-duplicates, folded into one hit
        filler = " ".join("w%dx%d" % (i, k) for k in range(400))
        f.write(json.dumps({"id": "wire-%02d" % i, "title": "Wire report %02d" % i,
                            "body": filler + " Istanbul talks " + filler + " a Convention",
                            "date": "2020-%02d-%02dT10:00:00Z" % (i % 12 + 1, i + 1),
                            "source": "wire", "topics": ["politics"]}) + "\n")
    f.write(json.dumps({"id": "xss-1", "source": "wire", "date": "2019-01-01T00:00:00Z",
                        "title": "<script>window.pwned=1</script><img src=x onerror=window.pwned=2> xsscheck",
                        "body": "<script>window.pwned=3</script> xsscheck body"}) + "\n")
    f.write(json.dumps({"id": "xss-2", "source": "desk", "date": "2019-01-02T00:00:00Z",
                        "title": "A note on the pwned onerror script",
                        "body": "window pwned onerror script img"}) + "\n")
    f.write(json.dumps({"id": "s400-follow-1", "source": "wire", "date": "2021-03-25T09:00:00Z",
                        "topics": ["defense"],
                        "title": "Blinken presses Çavuşoğlu on S-400 missile defense deal",
                        "body": "Secretary of State Antony Blinken pressed Turkish Foreign Minister "
                                "Mevlüt Çavuşoğlu on the S-400 missile defense systems Ankara bought "
                                "from Russia, a day after the NATO meeting in Brussels. Washington has "
                                "sanctioned Turkey and removed it from the F-35 fighter jet programme."}) + "\n")
    f.write(json.dumps({"id": "s400-follow-2", "source": "desk", "date": "2021-03-28T12:00:00Z",
                        "topics": ["defense"],
                        "title": "Ankara says Russian S-400 purchase will not be reversed",
                        "body": "Ankara will not reverse its purchase of Russian S-400 air defense "
                                "systems, Çavuşoğlu said, calling it a done deal. NATO allies and "
                                "Washington want a roadmap on the F-35 programme and the sanctions."}) + "\n")
    # two near-duplicates (the same text filed twice), the later one titled <script>
    text = " ".join("dup%d" % k for k in range(60))
    for n, (title, day) in enumerate([("Dupcheck original", "2018-01-01"),
                                      ("<script>window.pwned=4</script> dupcheck copy", "2018-01-02")]):
        f.write(json.dumps({"id": "dup-%d" % n, "source": "wire", "date": day + "T00:00:00Z",
                            "title": title, "body": "dupcheck " + text}) + "\n")
PY
"$BIN/newsindex" --index "$T/idx" "$T/corpus" >"$T/out" 2>&1
check "index built" contains "$T/out" "docs=32"
start page --index "$T/idx" --listen 127.0.0.1:0 --http 127.0.0.1:0 --no-config
HTTP=$(sed -n 's/^newsd: ready .* http=\([0-9.]*:[0-9]*\) .*/\1/p' "$T/page.log")
ART=$ROOT/build/test-artefacts
mkdir -p "$ART"
rm -f "$ART/http_page.png"
timeout 300 "$PY" "$ROOT/tests/e2e/http_page.py" "http://$HTTP" "$ART/http_page.png" >"$T/py.out" 2>&1
grep -v '^[0-9]* passed, [0-9]* failed$' "$T/py.out" >&2
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$T/py.out" | tail -n 1)
if [ -n "$line" ]; then
    PASSED=$((PASSED + ${line%% passed*})); f=${line#*passed, }; FAILED=$((FAILED + ${f%% failed*}))
else
    check "http_page.py finished" false
fi
check "the screenshot is a PNG" [ "$(head -c 8 "$ART/http_page.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
stop "$PID"
check "exit 0 on SIGTERM" [ "$RC" -eq 0 ]
check "no sanitizer report" lacks "$T/page.log" "Sanitizer"
finish

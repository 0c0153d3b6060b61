"""http_page.py BASE_URL SCREENSHOT: the search page of newsd driven as a person would,
in headless Chromium through Selenium (Debian's chromium, chromium-driver and
python3-selenium; tests/e2e/test_http_page.sh starts newsd).  Prints "FAILED: ..." per
failed check and "N passed, M failed" last.
"""
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from pycheck import check, finish

BASE, SHOT = sys.argv[1], sys.argv[2]
SEED_TITLE = "Turkey tells US at NATO that Russian defense purchase is 'done deal'"
XSS_TITLE = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2> xsscheck"
FOLLOW_TITLE = "Blinken presses \u00c7avu\u015fo\u011flu on S-400 missile defense deal"
FOLLOW2_TITLE = "Ankara says Russian S-400 purchase will not be reversed"
DUP_TITLE = "<script>window.pwned=4</script> dupcheck copy"


opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1280,1000", "--no-first-run", "--disable-extensions"):
    opts.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
wait = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException])


def click(css):
    """Clicks the element css names, scrolled to the middle (the header is sticky)."""
    e = driver.find_element(By.CSS_SELECTOR, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", e)
    e.click()


def texts(css):
    """The text of every element css names, read in one go (the list is redrawn whole)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", css)


def titles():
    return texts("#hits .hit .title")


def related():
    """The related stories shown under the article: (title, meta, href) each."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#related-list .related'), e => "
        "[e.querySelector('.title').textContent, e.querySelector('.meta').textContent, "
        "e.querySelector('.title').getAttribute('href')])")


def settled(cond, what):
    """Waits for cond() (30 s); False when it did not come."""
    try:
        wait.until(lambda d: cond())
        return True
    except TimeoutException:
        print("timed out waiting for", what)
        return False


try:
    driver.get(BASE + "/")
    q = wait.until(lambda d: d.find_element(By.ID, "q"))
    driver.find_element(By.TAG_NAME, "body").click()
    driver.execute_script("document.activeElement.blur()")
    driver.find_element(By.TAG_NAME, "body").send_keys("/")
    check("'/' focuses the search box", driver.switch_to.active_element == q)
    q.send_keys("Istanbul Convention")
    q.send_keys(Keys.ENTER)
    check("Enter searches: hits come", settled(lambda: titles(), "the first page"))
    t = titles()
    check("the seed article is first", t[:1] == [SEED_TITLE], t[:3])
    marks = texts("#hits .hit:first-child .snippet mark")
    check("its snippet marks the words", "Istanbul" in marks and "Convention" in marks, marks)
    check("the query is in the URL", "q=Istanbul+Convention" in driver.current_url, driver.current_url)
    total = driver.find_element(By.ID, "total").text
    check("the total is shown", total.startswith("26 results"), total)
    check("the source facet lists duvar", bool(driver.find_elements(
        By.CSS_SELECTOR, "#facet-source button[data-value='duvar']")))
    bars = driver.find_elements(By.CSS_SELECTOR, "#timeline rect")
    check("the timeline has a bar per month with matches", len(bars) >= 3, len(bars))
    driver.save_screenshot(SHOT)

    first_page = titles()
    click("#next")
    check("page forward: other hits", settled(lambda: titles() and titles() != first_page, "page 2"))
    check("page forward: offset in the URL", "offset=10" in driver.current_url, driver.current_url)
    check("page forward: page 2", driver.find_element(By.ID, "page").text.startswith("Page 2 of 3"),
          driver.find_element(By.ID, "page").text)
    driver.back()
    check("Back returns to page 1", settled(lambda: titles() == first_page, "page 1 again"))

    click("#facet-source button[data-value='duvar']")
    check("filter by source: one hit", settled(lambda: titles() == [SEED_TITLE], "the filtered page"))
    check("filter by source: in the URL", "source=duvar" in driver.current_url, driver.current_url)
    check("filter by source: in the form", driver.find_element(By.ID, "source").get_attribute("value") == "duvar")

    click("#hits .hit .title")
    check("open the article", settled(lambda: driver.find_element(By.ID, "a-title").text == SEED_TITLE,
                                      "the article"))
    check("the article's body", "S-400" in driver.find_element(By.ID, "a-body").text)
    check("the article is in the URL", "doc=" in driver.current_url, driver.current_url)

    driver.get(BASE + "/?q=presses")
    check("a follow-up is found", settled(lambda: titles() == [FOLLOW_TITLE], "the follow-up"))
    click("#hits .hit .title")
    check("its article view lists related stories", settled(lambda: related(), "related stories"))
    rel = related()
    check("... headed Related stories",
          driver.find_element(By.CSS_SELECTOR, "#related h2").text == "Related stories")
    check("... the seed first", rel[:1] and rel[0][0] == SEED_TITLE, rel)
    check("... the other follow-up among them", FOLLOW2_TITLE in [r[0] for r in rel], rel)
    check("... not the article itself", FOLLOW_TITLE not in [r[0] for r in rel], rel)
    check("... with date and source", rel[:1] and rel[0][1] == "2021-03-24 \u00b7 duvar", rel)
    check("... each a link to its article",
          rel[:1] and "doc=corpus%2Fduvar-2021-03-24-turkey-s400-done-deal.txt" in rel[0][2], rel)
    click("#related-list .related:first-child .title")
    check("click a related story: its article", settled(
        lambda: driver.find_element(By.ID, "a-title").text == SEED_TITLE, "the related article"))
    check("... in the URL, the search kept", "doc=corpus%2Fduvar" in driver.current_url and
          "q=presses" in driver.current_url, driver.current_url)
    check("... with its own related stories (none here)", settled(
        lambda: driver.find_element(By.ID, "related-none").is_displayed(), "no related stories"))
    check("... and none of the previous article's", related() == [], related())
    driver.back()
    check("Back returns to the follow-up", settled(
        lambda: driver.find_element(By.ID, "a-title").text == FOLLOW_TITLE and related(),
        "the follow-up again"))

    driver.get(BASE + "/?q=Istanbul+Convention&sort=date")
    check("a shared URL reloads the search", settled(lambda: len(titles()) == 10, "the shared search"))
    check("... with its sort", driver.find_element(By.ID, "sort").get_attribute("value") == "date")
    check("... and its query in the box",
          driver.find_element(By.ID, "q").get_attribute("value") == "Istanbul Convention")
    dates = [t.split(" ")[0] for t in texts("#hits .hit .meta")]
    check("... newest first", dates == sorted(dates, reverse=True) and len(dates) == 10, dates)

    driver.get(BASE + "/?q=xsscheck")
    check("an article titled <script> is found", settled(lambda: titles(), "the xss hit"))
    check("its title shows as text", titles() == [XSS_TITLE], titles())
    check("no script ran", driver.execute_script("return window.pwned === undefined"))
    check("no element came from the title",
          not driver.find_elements(By.CSS_SELECTOR, "#hits script, #hits img"))
    click("#hits .hit .title")
    check("the article view shows it as text too",
          settled(lambda: driver.find_element(By.ID, "a-title").text == XSS_TITLE, "the xss article"))
    check("still no script ran", driver.execute_script("return window.pwned === undefined"))
    driver.get(BASE + "/?doc=xss-2")
    check("a related story titled <script> shows as text", settled(
        lambda: [r[0] for r in related()][:1] == [XSS_TITLE], "the xss related story"), related())
    check("no script ran from the related stories",
          driver.execute_script("return window.pwned === undefined"))
    check("no element came from the related title",
          not driver.find_elements(By.CSS_SELECTOR, "#related script, #related img"))

    driver.get(BASE + "/?q=dupcheck")
    pair = ["Dupcheck original", DUP_TITLE]
    check("two near-duplicates are one hit", settled(lambda: titles(), "the dupcheck hit")
          and len(titles()) == 1 and titles()[0] in pair, titles())
    check("... marked (+1 similar)", texts("#hits .hit .dups") == [" (+1 similar)"], texts("#hits .hit .dups"))
    shown = titles()[0] if titles() else ""
    other = pair[1] if shown == pair[0] else pair[0]
    click("#hits .hit .title")
    check("its article view lists the other one", settled(
        lambda: texts("#a-dups li a") == [other], "the near-duplicates"), texts("#a-dups li a"))
    check("... as text (no script ran)", driver.execute_script("return window.pwned === undefined")
          and not driver.find_elements(By.CSS_SELECTOR, "#a-dups script"))
    click("#a-dups li a")
    check("... linking to its view", settled(lambda: driver.find_element(By.ID, "a-title").text == other,
                                             "the other's view"))
    check("... which lists the first", settled(lambda: texts("#a-dups li a") == [shown], "the first listed"))

    driver.get(BASE + "/?q=AND")
    check("a bad query: the error is shown", settled(
        lambda: driver.find_element(By.ID, "error").is_displayed(), "the error"))
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    check("every request went to newsd itself", all(u.startswith(BASE) for u in urls), urls)
finally:
    driver.quit()

finish()

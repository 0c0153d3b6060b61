// app.js: the search page of newsd (newsd(8), "HTTP", "The page").  The state (query,
// sort, dates, filters, page, open article) lives in the page's URL, so a search can be
// shared and reloaded; the page asks newsd's JSON API (/search, /doc/ID, /similar/ID,
// /dups/ID) and draws the answer.  Everything that comes from the index is put on the page
// with textContent or
// as SVG attributes, never as HTML: a title "<script>..." shows as those characters.
"use strict";

const PAGE = 10;                 // hits per page
const RELATED = 5;               // related stories under an article
const FIELDS = ["q", "sort", "since", "until", "source", "topic"];
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

// The state in the URL: the search fields, offset, and doc (the article shown).
function readState() {
  const p = new URLSearchParams(location.search);
  const s = {};
  for (const f of FIELDS) s[f] = p.get(f) || "";
  s.offset = Math.max(0, parseInt(p.get("offset") || "0", 10) || 0);
  s.doc = p.get("doc") || "";
  return s;
}

function stateURL(s) {
  const p = new URLSearchParams();
  for (const f of FIELDS) if (s[f] && !(f === "sort" && s[f] === "rank")) p.set(f, s[f]);
  if (s.offset) p.set("offset", String(s.offset));
  if (s.doc) p.set("doc", s.doc);
  const q = p.toString();
  return q ? "/?" + q : "/";
}

function go(s) {
  history.pushState(null, "", stateURL(s));
  render();
}

function formState() {
  const s = {};
  for (const f of FIELDS) s[f] = $(f).value.trim();
  s.offset = 0;
  s.doc = "";
  return s;
}

function fillForm(s) {
  for (const f of FIELDS) $(f).value = s[f];
  if (!s.sort) $("sort").value = "rank";
}

function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function showError(msg) {
  $("error").textContent = msg;
  $("error").hidden = !msg;
}

// A snippet is HTML-escaped text with matched words between <b> and </b> (newsd(8),
// SEARCH): split on the markers, unescape each piece and add it as text, a <mark> around
// the matched ones.
function unescapeHTML(s) {
  return s.replace(/&(lt|gt|amp|quot|#39|#x27);/g, (m, e) =>
    ({ lt: "<", gt: ">", amp: "&", quot: '"', "#39": "'", "#x27": "'" })[e]);
}

function snippetNode(snippet) {
  const p = el("p", "snippet");
  const parts = snippet.split(/(<b>|<\/b>)/);
  let on = false;
  for (const part of parts) {
    if (part === "<b>") { on = true; continue; }
    if (part === "</b>") { on = false; continue; }
    if (!part) continue;
    const text = unescapeHTML(part);
    p.appendChild(on ? el("mark", "", text) : document.createTextNode(text));
  }
  return p;
}

function day(iso) {
  return iso ? iso.slice(0, 10) : "";
}

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  let body;
  try {
    body = await r.json();
  } catch (e) {
    throw new Error("newsd answered " + r.status + " without JSON");
  }
  if (!r.ok || body.status !== "ok") throw new Error(body.message || ("HTTP " + r.status));
  return body;
}

function searchPath(s) {
  const p = new URLSearchParams();
  p.set("q", s.q);
  p.set("limit", String(PAGE));
  if (s.offset) p.set("offset", String(s.offset));
  if (s.sort && s.sort !== "rank") p.set("sort", s.sort);
  for (const f of ["since", "until", "source", "topic"]) if (s[f]) p.set(f, s[f]);
  p.set("facets", "source,topic,month");
  p.set("snippet", "1");
  return "/search?" + p.toString();
}

function hitNode(hit, s) {
  const li = el("li", "hit");
  const a = el("a", "title", hit.title || hit.id);
  a.href = stateURL(Object.assign({}, s, { doc: hit.id }));
  a.addEventListener("click", (ev) => {
    ev.preventDefault();
    go(Object.assign({}, s, { doc: hit.id }));
  });
  li.appendChild(a);
  li.appendChild(el("p", "meta", [day(hit.date), hit.source].filter(Boolean).join(" \u00b7 ")));
  if (hit.dups > 0) li.lastChild.appendChild(el("span", "dups", " (+" + hit.dups + " similar)"));
  if (hit.snippet) li.appendChild(snippetNode(hit.snippet));
  return li;
}

// One facet's values as buttons: a click filters by the value, a second click clears it.
function facetList(ul, values, field, s) {
  clear(ul);
  for (const v of values || []) {
    const li = el("li");
    const b = el("button", s[field] === v.value ? "on" : "", v.value);
    b.type = "button";
    b.dataset.value = v.value;
    b.addEventListener("click", () => {
      go(Object.assign({}, s, { [field]: s[field] === v.value ? "" : v.value, offset: 0 }));
    });
    li.appendChild(b);
    li.appendChild(el("span", "count", String(v.count)));
    ul.appendChild(li);
  }
  if (!ul.firstChild) ul.appendChild(el("li", "count", "none"));
}

// The month facet as bars; a click narrows the dates to that month.
function timeline(months, s) {
  const svg = $("timeline");
  clear(svg);
  const n = (months || []).length;
  $("timeline-range").textContent = "";
  if (!n) return;
  const W = 280, H = 90, max = Math.max(1, ...months.map((m) => m.count));
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("preserveAspectRatio", "none");
  const w = W / n;
  months.forEach((m, i) => {
    if (!m.count) return;
    const h = Math.max(1, (m.count / max) * (H - 4));
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", String(i * w));
    r.setAttribute("y", String(H - h));
    r.setAttribute("width", String(Math.max(1, w - (w > 3 ? 1 : 0))));
    r.setAttribute("height", String(h));
    r.setAttribute("data-month", m.value);
    const t = document.createElementNS(SVG, "title");
    t.textContent = m.value + ": " + m.count;
    r.appendChild(t);
    r.addEventListener("click", () => {
      const [y, mo] = m.value.split("-").map(Number);
      const last = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      go(Object.assign({}, s, { since: m.value + "-01", until: m.value + "-" + String(last).padStart(2, "0"), offset: 0 }));
    });
    svg.appendChild(r);
  });
  const range = $("timeline-range");
  range.appendChild(el("span", "", months[0].value));
  range.appendChild(el("span", "", months[n - 1].value));
}

async function showResults(s) {
  $("article").hidden = true;
  if (!s.q) {
    $("results").hidden = true;
    return;
  }
  let res;
  try {
    res = await api(searchPath(s));
  } catch (e) {
    $("results").hidden = true;
    showError(e.message);
    return;
  }
  const from = res.shown ? s.offset + 1 : 0, to = s.offset + res.shown;
  $("total").textContent = res.total === 1 ? "1 result" :
    res.total + " results" + (res.shown ? " \u2014 showing " + from + "\u2013" + to : "");
  const hits = $("hits");
  clear(hits);
  hits.start = from || 1;
  for (const h of res.hits) hits.appendChild(hitNode(h, s));
  $("prev").disabled = s.offset === 0;
  $("next").disabled = to >= res.total;
  $("page").textContent = "Page " + (Math.floor(s.offset / PAGE) + 1) + " of " + Math.max(1, Math.ceil(res.total / PAGE));
  const f = res.facets || {};
  facetList($("facet-source"), f.source, "source", s);
  facetList($("facet-topic"), f.topic, "topic", s);
  timeline(f.month, s);
  $("results").hidden = false;
  document.title = s.q + " \u2014 newsd search";
}

async function showArticle(s) {
  $("results").hidden = true;
  let res;
  try {
    res = await api("/doc/" + encodeURIComponent(s.doc));
  } catch (e) {
    $("article").hidden = true;
    showError(e.message);
    return;
  }
  const d = res.doc;
  $("a-title").textContent = d.title || d.id;
  $("a-meta").textContent = [day(d.date), d.source, (d.topics || []).join(", ")].filter(Boolean).join(" \u00b7 ");
  const url = $("a-url");
  clear(url);
  if (/^https?:\/\//.test(d.url || "")) {
    const a = el("a", "", d.url);
    a.href = d.url;
    a.rel = "noopener noreferrer";
    url.appendChild(a);
  }
  $("a-body").textContent = d.body || "";
  const back = $("back");
  back.href = stateURL(Object.assign({}, s, { doc: "" }));
  back.hidden = !s.q;
  $("article").hidden = false;
  document.title = (d.title || d.id) + " \u2014 newsd";
  showDups(s, d.id);
  await showRelated(s);
}

// The article's related stories (SIMILAR): each title opens that article's view, keeping
// the search it came from.  A failure here stays in the section: the article is shown.
async function showRelated(s) {
  const ul = $("related-list");
  clear(ul);
  $("related-none").hidden = true;
  $("related").hidden = false;
  let res;
  try {
    res = await api("/similar/" + encodeURIComponent(s.doc) + "?limit=" + RELATED + "&snippet=0");
  } catch (e) {
    if (readState().doc !== s.doc) return;
    $("related-none").textContent = "Related stories unavailable: " + e.message;
    $("related-none").hidden = false;
    return;
  }
  if (readState().doc !== s.doc) return;   // another article was opened meanwhile
  for (const h of res.hits) {
    const li = el("li", "related");
    const to = Object.assign({}, s, { doc: h.id });
    const a = el("a", "title", h.title || h.id);
    a.href = stateURL(to);
    a.dataset.id = h.id;
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      go(to);
    });
    li.appendChild(a);
    li.appendChild(el("span", "meta", [day(h.date), h.source].filter(Boolean).join(" \u00b7 ")));
    ul.appendChild(li);
  }
  if (!ul.firstChild) {
    $("related-none").textContent = "No related stories.";
    $("related-none").hidden = false;
  }
}

// Below the article, its near-duplicates (/dups/ID, the article itself left out), each a
// link to its own view; nothing when it has none or the request fails.
async function showDups(s, id) {
  let box = $("a-dups");
  if (!box) {
    box = el("section");
    box.id = "a-dups";
    $("article").appendChild(box);
  }
  clear(box);
  box.hidden = true;
  let res;
  try {
    res = await api("/dups/" + encodeURIComponent(id));
  } catch (e) {
    return;
  }
  if (readState().doc !== id) return;   // the reader moved on meanwhile
  const others = (res.members || []).filter((m) => m.id !== id);
  if (!others.length) return;
  box.appendChild(el("h2", "", "Near-duplicates"));
  const ul = el("ul");
  for (const m of others) {
    const li = el("li");
    const a = el("a", "", m.title || m.id);
    a.href = stateURL(Object.assign({}, s, { doc: m.id }));
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      go(Object.assign({}, s, { doc: m.id }));
    });
    li.appendChild(a);
    li.appendChild(el("span", "meta", " " + [day(m.date), m.source].filter(Boolean).join(" \u00b7 ")));
    ul.appendChild(li);
  }
  box.appendChild(ul);
  box.hidden = false;
}

function render() {
  const s = readState();
  fillForm(s);
  showError("");
  return s.doc ? showArticle(s) : showResults(s);
}

document.addEventListener("DOMContentLoaded", () => {
  $("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    go(formState());
  });
  $("sort").addEventListener("change", () => { if ($("q").value.trim()) go(formState()); });
  $("prev").addEventListener("click", () => {
    const s = readState();
    go(Object.assign(s, { offset: Math.max(0, s.offset - PAGE) }));
  });
  $("next").addEventListener("click", () => {
    const s = readState();
    go(Object.assign(s, { offset: s.offset + PAGE }));
  });
  $("back").addEventListener("click", (ev) => {
    ev.preventDefault();
    go(Object.assign(readState(), { doc: "" }));
  });
  // "/" focuses the box (unless typing in a field); Enter in it submits the form.
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.key === "/" && !(t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement)) {
      ev.preventDefault();
      $("q").focus();
      $("q").select();
    }
  });
  window.addEventListener("popstate", render);
  render();
});

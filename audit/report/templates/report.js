(function () {
  "use strict";
  // Builds the documents table, document views and pair views from the embedded JSON.
  // Text from the results only ever enters the page as text nodes (never as HTML).
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var ROW = { id: 0, title: 1, source: 2, verdict: 3, e: 4, w: 5, i: 6, checks: 7, garble: 8, words: 9, published: 10 };
  var PAGE = 50;
  var ROLE_LABEL = { "": "line" };
  var MARK_LABEL = {
    garble: "garbled span", date: "date found", truncated: "truncated", chrome: "page chrome",
    evidence: "evidence", shared: "shared passage"
  };
  var FLAG_LABEL = { repeat: "repeated paragraph", chrome: "page chrome", evidence: "evidence" };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else if (key === "href") { var safe = safeHref(value); if (safe) node.setAttribute("href", safe); }
      else node.setAttribute(key, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function safeHref(url) {
    url = String(url);
    if (url.charAt(0) === "#") return url;
    return /^https?:\/\//i.test(url) ? url : null;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "") return "–";
    if (typeof value === "number") {
      return Number.isInteger(value) ? value.toLocaleString("en") : value.toFixed(digits === undefined ? 3 : digits);
    }
    return String(value);
  }

  function docHref(id) { return "#doc=" + encodeURIComponent(id); }

  // ---- documents table ----
  var rows = DATA.rows;
  var state = { q: "", verdict: "", check: "", source: "", garble: null, sort: "severity", dir: 1, page: 0 };
  var form = document.getElementById("filters");
  var tbody = document.querySelector("#docs-table tbody");
  var statusLine = document.getElementById("table-status");
  var pager = document.getElementById("pager");

  function fillSelect(name, values, counts) {
    var select = form.elements[name];
    values.forEach(function (value, index) {
      if (counts && !counts[index]) return;
      var label = counts ? value + " (" + counts[index].toLocaleString("en") + ")" : value;
      select.appendChild(el("option", { value: value, text: label }));
    });
  }

  function setupFilters() {
    var checkCounts = DATA.checks.map(function () { return 0; });
    var sourceCounts = DATA.sources.map(function () { return 0; });
    var verdictCounts = DATA.verdicts.map(function () { return 0; });
    rows.forEach(function (r) {
      r[ROW.checks].forEach(function (c) { checkCounts[c] += 1; });
      sourceCounts[r[ROW.source]] += 1;
      verdictCounts[r[ROW.verdict]] += 1;
    });
    fillSelect("verdict", DATA.verdicts, verdictCounts);
    fillSelect("check", DATA.checks, checkCounts);
    fillSelect("source", DATA.sources, sourceCounts);
    form.addEventListener("input", readForm);
    form.addEventListener("change", readForm);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(readForm, 0); });
    document.querySelectorAll("#docs-table th[data-sort]").forEach(function (th) {
      function sortBy() {
        var key = th.getAttribute("data-sort");
        state.dir = state.sort === key ? -state.dir : (key === "garble" || key === "words" ? -1 : 1);
        state.sort = key;
        state.page = 0;
        renderTable();
      }
      th.tabIndex = 0;
      th.setAttribute("title", "sort");
      th.addEventListener("click", sortBy);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(); }
      });
    });
  }

  function readForm() {
    var f = form.elements;
    state.q = f.q.value.trim().toLowerCase();
    state.verdict = f.verdict.value;
    state.check = f.check.value;
    state.source = f.source.value;
    var g = parseFloat(f.garble.value);
    state.garble = isNaN(g) ? null : g;
    state.page = 0;
    renderTable();
  }

  function applyQuery(query) {
    var params = new URLSearchParams(query);
    var f = form.elements;
    ["q", "verdict", "check", "source", "garble"].forEach(function (name) {
      f[name].value = params.has(name) ? params.get(name) : "";
    });
    readForm();
  }

  function matches(r) {
    if (state.verdict && DATA.verdicts[r[ROW.verdict]] !== state.verdict) return false;
    if (state.source && DATA.sources[r[ROW.source]] !== state.source) return false;
    if (state.check) {
      var idx = DATA.checks.indexOf(state.check);
      if (r[ROW.checks].indexOf(idx) < 0) return false;
    }
    if (state.garble !== null && !(r[ROW.garble] !== null && r[ROW.garble] >= state.garble)) return false;
    if (state.q) {
      var hay = (r[ROW.id] + " " + r[ROW.title]).toLowerCase();
      if (hay.indexOf(state.q) < 0) return false;
    }
    return true;
  }

  function sortKey(r, index) {
    switch (state.sort) {
      case "id": return r[ROW.id];
      case "source": return DATA.sources[r[ROW.source]];
      case "verdict": return r[ROW.verdict];
      case "garble": return r[ROW.garble];
      case "words": return r[ROW.words];
      case "published": return r[ROW.published] || null;
      default: return index;
    }
  }

  function compare(a, b) {
    if (a.key === b.key) return a.index - b.index;
    if (a.key === null || a.key === undefined) return 1;
    if (b.key === null || b.key === undefined) return -1;
    return (a.key < b.key ? -1 : 1) * state.dir;
  }

  function renderTable() {
    var shown = [];
    rows.forEach(function (r, index) {
      if (matches(r)) shown.push({ row: r, index: index, key: sortKey(r, index) });
    });
    shown.sort(compare);
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE;
    var slice = shown.slice(start, start + PAGE);
    var fragment = document.createDocumentFragment();
    slice.forEach(function (item) { fragment.appendChild(tableRow(item.row)); });
    tbody.replaceChildren(fragment);
    if (!slice.length) {
      tbody.appendChild(el("tr", {}, [el("td", { colspan: 7, className: "muted", text: "No document matches these filters." })]));
    }
    var text = shown.length
      ? "Showing " + (start + 1).toLocaleString("en") + "–" + (start + slice.length).toLocaleString("en") +
        " of " + shown.length.toLocaleString("en") + " matching documents"
      : "No matching documents";
    if (rows.length < DATA.n_documents) {
      text += " (the table lists the " + rows.length.toLocaleString("en") + " most severe of " +
        DATA.n_documents.toLocaleString("en") + " documents)";
    }
    statusLine.textContent = text + ".";
    statusLine.setAttribute("data-matching", String(shown.length));
    document.querySelectorAll("#docs-table th[data-sort]").forEach(function (th) {
      th.classList.remove("sorted-asc", "sorted-desc");
      th.removeAttribute("aria-sort");
      if (th.getAttribute("data-sort") === state.sort) {
        th.classList.add(state.dir > 0 ? "sorted-asc" : "sorted-desc");
        th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
      }
    });
    var prev = el("button", { type: "button", text: "‹ previous" });
    var next = el("button", { type: "button", text: "next ›" });
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    prev.addEventListener("click", function () { state.page -= 1; renderTable(); });
    next.addEventListener("click", function () { state.page += 1; renderTable(); });
    pager.replaceChildren(prev, el("span", { className: "muted", text: "page " + (state.page + 1) + " of " + pages }), next);
  }

  function severityBadges(r) {
    var out = [];
    [["error", ROW.e], ["warning", ROW.w], ["info", ROW.i]].forEach(function (pair) {
      if (r[pair[1]]) out.push(el("span", { className: "sev sev-" + pair[0], title: pair[0] + "s", text: r[pair[1]] }));
    });
    return out;
  }

  function tableRow(r) {
    var verdict = DATA.verdicts[r[ROW.verdict]];
    var checks = r[ROW.checks].map(function (c) { return DATA.checks[c]; }).join(", ");
    var findings = el("td", {}, severityBadges(r));
    if (checks) findings.appendChild(el("div", { className: "checks-list", text: checks }));
    return el("tr", { "data-verdict": verdict }, [
      el("td", { className: "doc" }, [
        el("a", { className: "doc-id", href: docHref(r[ROW.id]), text: r[ROW.id] }),
        r[ROW.title] ? el("div", { className: "doc-title", title: r[ROW.title], text: r[ROW.title] }) : null
      ]),
      el("td", { className: "nowrap", text: DATA.sources[r[ROW.source]] }),
      el("td", {}, [el("span", { className: "verdict-badge v-" + verdict, text: verdict })]),
      findings,
      el("td", { className: "num", text: r[ROW.garble] === null ? "–" : r[ROW.garble].toFixed(2) }),
      el("td", { className: "num", text: fmt(r[ROW.words]) }),
      el("td", { className: "nowrap", text: r[ROW.published] || "–" })
    ]);
  }

  // ---- viewer (document and pair views) ----
  var viewer = document.getElementById("viewer");
  var viewerTitle = document.getElementById("viewer-title");
  var viewerBody = document.getElementById("viewer-body");
  var returnHash = "#documents";
  var savedScroll = null;

  function openViewer(title, nodes) {
    if (viewer.hidden) savedScroll = window.scrollY;
    viewerTitle.textContent = title;
    viewerBody.replaceChildren.apply(viewerBody, nodes);
    viewerBody.scrollTop = 0;
    viewer.hidden = false;
    document.body.style.overflow = "hidden";
  }

  function closeViewer() {
    if (viewer.hidden) return false;
    viewer.hidden = true;
    document.body.style.overflow = "";
    if (savedScroll !== null) window.scrollTo(0, savedScroll);
    savedScroll = null;
    return true;
  }

  viewer.querySelectorAll("[data-close]").forEach(function (node) {
    node.addEventListener("click", function (event) { event.preventDefault(); location.hash = returnHash; });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !viewer.hidden) location.hash = returnHash;
  });

  function findRow(id) {
    for (var k = 0; k < rows.length; k++) if (rows[k][ROW.id] === id) return rows[k];
    return null;
  }

  function dl(pairs, className) {
    var node = el("dl", { className: className });
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") return;
      node.appendChild(el("dt", { text: p[0] }));
      node.appendChild(el("dd", {}, [p[1]]));
    });
    return node;
  }

  function segments(text, marks) {
    // Split text at every mark boundary; each piece carries the marks covering it.
    var cuts = [0, text.length];
    marks.forEach(function (m) {
      cuts.push(Math.max(0, Math.min(m[0], text.length)), Math.max(0, Math.min(m[1], text.length)));
    });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    var out = [];
    for (var k = 0; k + 1 < cuts.length; k++) {
      var s = cuts[k], e = cuts[k + 1];
      out.push({
        text: text.slice(s, e),
        marks: marks.filter(function (m) { return m[0] <= s && m[1] >= e; })
      });
    }
    return out;
  }

  function markNode(seg) {
    if (!seg.marks.length) return document.createTextNode(seg.text);
    var first = seg.marks[0];
    var labels = seg.marks.map(function (m) { return m[3]; }).filter(function (v, i, a) { return v && a.indexOf(v) === i; });
    var props = { className: "m-" + first[2], title: labels.join("; ") || MARK_LABEL[first[2]], text: seg.text };
    if (first[4] !== undefined) props["data-k"] = first[4];
    return el("mark", props);
  }

  function docView(id) {
    var d = DATA.details[id];
    if (!d) {
      var r = findRow(id);
      var nodes = [el("p", { className: "note", text: "This document's text and evidence are not embedded in this report (large run: detail is kept for the most severe documents). results.json has everything." })];
      if (r) {
        nodes.push(dl([
          ["document", r[ROW.id]], ["source", DATA.sources[r[ROW.source]]],
          ["verdict", DATA.verdicts[r[ROW.verdict]]],
          ["checks", r[ROW.checks].map(function (c) { return DATA.checks[c]; }).join(", ") || "none"],
          ["garble score", fmt(r[ROW.garble])], ["words", fmt(r[ROW.words])]
        ], "meta-grid"));
      }
      openViewer(r && r[ROW.title] ? r[ROW.title] : id, nodes);
      return;
    }
    var url = d.href ? el("a", { href: d.href, rel: "noopener noreferrer nofollow", target: "_blank", text: d.url }) : (d.url || null);
    var words = fmt(d.word_count) + (d.claimed_word_count !== null && d.claimed_word_count !== undefined ? " (claimed " + fmt(d.claimed_word_count) + ")" : "");
    var nodes2 = [dl([
      ["document", d.id],
      ["verdict", el("span", { className: "verdict-badge v-" + d.verdict, text: d.verdict })],
      ["source", d.source], ["domain", d.domain], ["url", url], ["published", d.published || "–"],
      ["words", words], ["paragraphs", fmt(d.n_paragraphs)]
    ], "meta-grid")];
    var chips = el("div", { className: "chips" });
    Object.keys(d.signals).sort().forEach(function (key) {
      chips.appendChild(el("span", { className: "chip", text: key + ": " + fmt(d.signals[key]) }));
    });
    if (chips.childNodes.length) nodes2.push(chips);
    nodes2.push(el("h3", { text: d.findings.length ? "Findings (" + d.findings.length + ")" : "No findings" }));
    var list = el("ul", { className: "findings" });
    d.findings.forEach(function (f) {
      var item = el("li", { className: "f-" + f.severity }, [
        el("span", { className: "sev sev-" + f.severity, text: f.severity }), " ",
        el("span", { className: "check", text: f.check }),
        el("span", { text: f.message })
      ]);
      if (f.dates && f.dates.length) item.appendChild(datesTable(f.dates));
      if (f.evidence) {
        item.appendChild(el("details", {}, [el("summary", { text: "evidence" }), el("pre", { text: f.evidence })]));
      }
      list.appendChild(item);
    });
    nodes2.push(list);
    nodes2.push(legend(d));
    var paras = el("div", { className: "paras" });
    d.paragraphs.forEach(function (p) { paras.appendChild(paragraph(d, p)); });
    if (!d.paragraphs.length) paras.appendChild(el("p", { className: "muted", text: "No text." }));
    nodes2.push(paras);
    if (d.truncated) {
      nodes2.push(el("p", { className: "note", text: "Text cut to keep the report small; results.json and the input have it whole." }));
    }
    openViewer(d.title || d.id, nodes2);
  }

  function datesTable(dates) {
    var keys = [];
    dates.forEach(function (row) { Object.keys(row).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
    var head = el("tr", {}, keys.map(function (k) { return el("th", { text: k }); }));
    var body = dates.map(function (row) {
      return el("tr", {}, keys.map(function (k) { return el("td", { text: row[k] === undefined ? "" : row[k] }); }));
    });
    return el("table", { className: "compact" }, [el("thead", {}, [head]), el("tbody", {}, body)]);
  }

  function legend(d) {
    var roles = [], kinds = [];
    d.paragraphs.forEach(function (p) { if (roles.indexOf(p[2]) < 0) roles.push(p[2]); });
    Object.keys(d.marks).forEach(function (k) {
      d.marks[k].forEach(function (m) { if (kinds.indexOf(m[2]) < 0) kinds.push(m[2]); });
    });
    var node = el("div", { className: "legend" }, [el("span", { text: "roles:" })]);
    roles.forEach(function (r) { node.appendChild(el("span", { className: "role role-" + (r || "none"), text: r || ROLE_LABEL[""] })); });
    if (kinds.length) {
      node.appendChild(el("span", { text: "highlights:" }));
      kinds.forEach(function (k) {
        node.appendChild(el("span", {}, [el("mark", { className: "m-" + k, text: MARK_LABEL[k] || k })]));
      });
    }
    return node;
  }

  function paragraph(d, p) {
    var idx = p[0], role = p[2] || "", reason = p[3], text = p[5];
    var flags = d.flags[String(idx)] || [];
    var classes = ["para", "r-" + (role || "none")].concat(flags.map(function (f) { return "pf-" + f[0]; }));
    var textNode = el("div", { className: "text" });
    segments(text, d.marks[String(idx)] || []).forEach(function (seg) { textNode.appendChild(markNode(seg)); });
    if (flags.length) {
      var holder = el("span", { className: "flags" });
      flags.forEach(function (f) { holder.appendChild(el("span", { className: "flag flag-" + f[0], title: FLAG_LABEL[f[0]] || f[0], text: f[1] })); });
      textNode.appendChild(holder);
    }
    return el("div", { className: classes.join(" "), id: "p-" + idx, "data-idx": idx }, [
      el("div", { className: "ln", title: "line " + fmt(p[1]) + ", paragraph " + idx, text: p[1] === null ? "¶" + idx : p[1] }),
      el("span", { className: "role role-" + (role || "none"), title: reason ? "rule: " + reason : "", text: role || ROLE_LABEL[""] }),
      textNode
    ]);
  }

  function bodyText(d) {
    var hasRoles = d.paragraphs.some(function (p) { return p[2]; });
    return d.paragraphs
      .filter(function (p) { return !hasRoles || p[2] === "body"; })
      .map(function (p) { return p[5]; })
      .join("\n");
  }

  function bodyBlock(text, marks) {
    var box = el("div", { className: "body-text" });
    var p = el("p");
    box.appendChild(p);
    segments(text, marks).forEach(function (seg) {
      seg.text.split("\n").forEach(function (part, k) {
        if (k > 0) { p = el("p"); box.appendChild(p); }
        if (part) p.appendChild(markNode({ text: part, marks: seg.marks }));
      });
    });
    return box;
  }

  function pairView(n) {
    var pair = DATA.pairs[n];
    if (!pair) { openViewer("Pair not found", [el("p", { className: "muted", text: "This pair is not in the report." })]); return; }
    var a = DATA.details[pair.a], b = DATA.details[pair.b];
    var aMarks = [], bMarks = [];
    pair.shared.forEach(function (s, k) {
      aMarks.push([s[0], s[1], "shared", "shared passage " + (k + 1), k]);
      bMarks.push([s[2], s[3], "shared", "shared passage " + (k + 1), k]);
    });
    var head = el("div", { className: "sbs-head" }, [
      el("span", { className: "kind kind-" + (pair.kind || "unknown"), text: pair.kind || "pair" }),
      el("span", {}, ["Jaccard ", el("span", { className: "figure", text: fmt(pair.jaccard, 2) })]),
      el("span", {}, ["containment ", el("span", { className: "figure", text: fmt(pair.containment, 2) })]),
      el("span", { className: "muted", text: pair.shared.length + " shared passages highlighted · cluster " + pair.cluster })
    ]);
    var nodes = [head];
    if (!pair.shared.length) {
      nodes.push(el("p", { className: "note", text: "The results list no shared passages for this pair; the texts are shown without highlights." }));
    }
    function column(d, id, marks, label) {
      return el("div", {}, [
        el("h3", {}, [label + ": ", el("a", { href: docHref(id), text: id })]),
        d.title ? el("div", { className: "muted", text: d.title }) : null,
        bodyBlock(bodyText(d), marks)
      ]);
    }
    nodes.push(el("div", { className: "legend" }, [el("mark", { className: "m-shared", text: "shared passage" }), el("span", { text: "hover one to find it on the other side" })]));
    nodes.push(el("div", { className: "sbs" }, [column(a, pair.a, aMarks, "A"), column(b, pair.b, bMarks, "B")]));
    openViewer(pair.a + " ↔ " + pair.b, nodes);
    viewerBody.querySelectorAll("mark.m-shared").forEach(function (m) {
      m.addEventListener("mouseenter", function () { toggleTwin(m, true); });
      m.addEventListener("mouseleave", function () { toggleTwin(m, false); });
    });
  }

  function toggleTwin(mark, on) {
    var k = mark.getAttribute("data-k");
    viewerBody.querySelectorAll("mark.m-shared").forEach(function (m) {
      if (m.getAttribute("data-k") === k) m.style.outline = on ? "2px solid #2e9e6b" : "";
    });
  }

  // ---- routing ----
  function decode(text) {
    try { return decodeURIComponent(text); } catch (err) { return text; }
  }

  function route() {
    var hash = location.hash || "";
    if (hash.indexOf("#doc=") === 0) {
      docView(decode(hash.slice(5)));
    } else if (hash.indexOf("#pair=") === 0) {
      pairView(parseInt(hash.slice(6), 10));
    } else {
      var closed = closeViewer();
      returnHash = hash || "#summary";
      if (hash.indexOf("#documents?") === 0 && !closed) {
        applyQuery(hash.slice("#documents?".length));
        document.getElementById("documents").scrollIntoView();
      }
    }
  }

  // ---- charts ----
  function drawCharts() {
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var spec = DATA.charts[node.getAttribute("data-chart")];
      if (!spec || typeof window.vegaEmbed !== "function") return;
      window.vegaEmbed(node, spec, { actions: false, renderer: "svg" }).catch(function (err) {
        node.textContent = "This chart could not be drawn (" + err + "); its figures are below.";
        var details = node.parentNode.querySelector("details.figures");
        if (details) details.open = true;
      });
    });
  }

  setupFilters();
  renderTable();
  window.addEventListener("hashchange", route);
  route();
  drawCharts();
})();

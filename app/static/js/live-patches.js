/* Live bid pages: the parts of the page an update moves in place (app/live/patches.py says what they carry).
   window.livePatches.table(t): the convenor's members table as one change left it (the page's order, the rows
   it may lack, its summary, caption, totals row and pager). window.livePatches.chart(c): the charts as data.
   Each returns false, touching nothing, when the page cannot apply it (live.js then takes a fresh snapshot).
   Loaded before live.js. */
(function () {
  "use strict";

  function parseRow(html) {
    var body = document.createElement("tbody");
    body.innerHTML = html;
    return body.querySelector("tr");
  }

  function parsePart(html, holder) {
    var box = document.createElement(holder);
    box.innerHTML = html;
    return box.firstElementChild;
  }

  function setText(el, text) { if (el) { el.textContent = text; } }

  function setAttrs(el, attrs) {
    if (!el) { return; }
    Object.keys(attrs).forEach(function (name) { el.setAttribute(name, attrs[name]); });
  }

  // The convenor's members table as one change left it: the page's order, the rows it may lack, its summary,
  // caption, totals row and pager. False (nothing touched) when a table lacks a row the order names.
  function applyTable(t) {
    var tables = document.querySelectorAll("[data-live-fragment=members]");
    var plans = [];
    for (var i = 0; i < tables.length; i++) {
      var body = tables[i].querySelector('tbody[data-live-part="rows"]');
      if (!body) { return false; }
      var byId = {};
      var shown = body.querySelectorAll("tr[data-organisation-id]");
      for (var j = 0; j < shown.length; j++) { byId[shown[j].getAttribute("data-organisation-id")] = shown[j]; }
      Object.keys(t.rows).forEach(function (id) { byId[id] = parseRow(t.rows[id]); });
      for (var k = 0; k < t.order.length; k++) { if (!byId[String(t.order[k])]) { return false; } }
      plans.push({ el: tables[i], body: body, byId: byId, shown: shown });
    }
    plans.forEach(function (plan) {
      for (var n = 0; n < plan.shown.length; n++) {  // rows that left the page, and the old copies of new ones
        if (plan.byId[plan.shown[n].getAttribute("data-organisation-id")] !== plan.shown[n] ||
            t.order.indexOf(parseInt(plan.shown[n].getAttribute("data-organisation-id"), 10)) < 0) {
          plan.body.removeChild(plan.shown[n]);
        }
      }
      t.order.forEach(function (id) { plan.body.appendChild(plan.byId[String(id)]); });
      var summary = plan.el.querySelector('[data-live-part="summary"]');
      if (summary) { summary.parentNode.replaceChild(parsePart(t.summary, "div"), summary); }
      setText(plan.el.querySelector('[data-live-part="caption"]'), t.caption);
      var foot = plan.el.querySelector('[data-live-part="foot"]');
      if (foot) { foot.parentNode.replaceChild(parsePart(t.foot, "table"), foot); }
      var pager = plan.el.querySelector('[data-live-part="pager"]');
      if (pager) { pager.innerHTML = t.pager; }
    });
    return true;
  }

  function applyChartTable(body, tail) {
    if (!body) { return; }
    tail.forEach(function (day) {
      var rows = body.querySelectorAll("tr");
      for (var i = rows.length - 1; i >= 0 && i >= rows.length - 3; i--) {
        var head = rows[i].querySelector("th");
        if (head && head.textContent === day[0]) { setText(rows[i].querySelector("td"), day[1]); return; }
      }
      var tr = parseRow("<tr><th scope=\"row\"></th><td class=\"num\"></td></tr>");
      setText(tr.querySelector("th"), day[0]);
      setText(tr.querySelector("td"), day[1]);
      body.appendChild(tr);
    });
  }

  // The charts as one change left them, moved in place. False (nothing touched) when a chart has other parts.
  function applyChart(c) {
    var holders = document.querySelectorAll("[data-live-fragment=charts]");
    for (var i = 0; i < holders.length; i++) {
      var fig = holders[i].querySelector("[data-chart-shape]");
      if (!fig || fig.getAttribute("data-chart-shape") !== c.shape) { return false; }
    }
    for (var h = 0; h < holders.length; h++) {
      var el = holders[h];
      var one = function (name) { return el.querySelector('[data-chart="' + name + '"]'); };
      var all = function (name) { return el.querySelectorAll('[data-chart="' + name + '"]'); };
      setAttrs(one("line"), { d: c.line });
      setAttrs(one("now"), { cx: c.now[0], cy: c.now[1] });
      var grid = all("grid-y"), ticks = all("tick-y"), xs = all("tick-x");
      c.ticks_y.forEach(function (t, k) {
        setAttrs(grid[k], { y1: t[0], y2: t[0] });
        setAttrs(ticks[k], { y: t[0] + 4 });
        setText(ticks[k], t[1]);
      });
      c.ticks_x.forEach(function (t, k) { setAttrs(xs[k], { x: t[0] }); setText(xs[k], t[1]); });
      if (c.target) {
        setAttrs(one("target"), { y1: c.target[0], y2: c.target[0] });
        setAttrs(one("target-label"), { y: c.target[0] - 6 });
        setText(one("target-label"), "Target " + c.target[1]);
      }
      if (c.projection) {
        var p = c.projection;
        setAttrs(one("projection"), { x1: p[0], y1: p[1], x2: p[2], y2: p[3] });
        setAttrs(one("projection-label"), { x: p[2] - 6, y: p[3] - 8 });
        setText(one("projection-label"), "Projected " + p[4]);
      }
      setText(one("desc"), c.desc);
      setText(one("caption"), c.caption);
      applyChartTable(one("table"), c.table_tail);
      Object.keys(c.bars).forEach(function (key) {
        var panel = c.bars[key];
        var rects = el.querySelectorAll('[data-bar="' + key + '"]');
        var values = el.querySelectorAll('[data-bar-value="' + key + '"]');
        panel.bars.forEach(function (b, k) {
          setAttrs(rects[k], { width: b[0] });
          setAttrs(values[k], { x: panel.left + b[0] + 6 });
          setText(values[k], b[1]);
        });
        setText(el.querySelector('[data-bars-desc="' + key + '"]'), panel.desc);
      });
    }
    return true;
  }
  window.livePatches = { table: applyTable, chart: applyChart };
}());

/* Live bid pages: hold a Server-Sent Events stream, swap in the server-rendered fragments a snapshot carries
   and, for each change, what its update carries (the small fragments, the convenor's table and the charts
   through live-patches.js, the changed member row, the feed line; a fresh snapshot when a part will not apply),
   count down to the deadline by the server's clock, and fall back to polling live.json when streaming fails.
   No inline script anywhere: this file reads everything it needs from data- attributes. */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-root]");
  if (!root) { return; }

  var indicator = root.querySelector("[data-live-indicator]");
  var indicatorText = root.querySelector("[data-live-indicator-text]");
  var countdown = root.querySelector("[data-live-countdown]");
  var announcer = document.querySelector("[data-live-announce]");
  var streamUrl = root.getAttribute("data-stream-url");
  var pollUrl = root.getAttribute("data-poll-url");
  var pollSeconds = parseInt(root.getAttribute("data-poll-seconds"), 10) || 10;
  var lastId = parseInt(root.getAttribute("data-last-event-id"), 10) || 0;
  // The newest state the figures on the page show (an update built late may show a later one than its event).
  var lastState = lastId;
  var status = root.getAttribute("data-status");
  var deadline = Date.parse(root.getAttribute("data-deadline"));
  // The server's clock minus this computer's: the countdown is right even when the visitor's clock is not.
  var offset = Date.parse(root.getAttribute("data-server-now")) - Date.now();
  // The page of the convenor's members table this page shows (sort, dir, q, page): the stream renders the same.
  var tableQuery = (function () {
    var here = new URLSearchParams(window.location.search), kept = new URLSearchParams();
    ["sort", "dir", "q", "page"].forEach(function (key) { if (here.get(key)) { kept.set(key, here.get(key)); } });
    var text = kept.toString();
    return text ? "&" + text : "";
  }());
  var source = null;
  var failures = 0;
  var pollTimer = null;
  var retryTimer = null;
  var quietTimer = null;
  var leaving = false;
  var resyncing = false;  // the next snapshot replaces a page that could not apply an update
  var MAX_STREAM_FAILURES = 4;

  root.hidden = false;

  function serverNow() { return Date.now() + offset; }

  function setState(state, text) {
    indicator.setAttribute("data-state", state);
    indicatorText.textContent = text;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function remainingText(ms) {
    var s = Math.floor(ms / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) { return plural(d, "day") + " " + plural(h, "hour") + " left"; }
    if (h > 0) { return plural(h, "hour") + " " + plural(m, "minute") + " left"; }
    if (m > 0) { return plural(m, "minute") + " " + plural(sec, "second") + " left"; }
    return plural(sec, "second") + " left";
  }

  function tickCountdown() {
    var left = deadline - serverNow();
    countdown.textContent = (status !== "open" || left <= 0) ? "Closed" : remainingText(left);
  }

  function ago(iso) {
    var s = Math.max(0, Math.floor((serverNow() - Date.parse(iso)) / 1000));
    if (s < 45) { return "just now"; }
    if (s >= 86400) { return plural(Math.floor(s / 86400), "day") + " ago"; }
    if (s >= 3600) { return plural(Math.floor(s / 3600), "hour") + " ago"; }
    return plural(Math.max(1, Math.floor(s / 60)), "minute") + " ago";
  }

  function refreshAgo() {
    var times = document.querySelectorAll("time[data-ago]");
    for (var i = 0; i < times.length; i++) { times[i].textContent = ago(times[i].getAttribute("datetime")); }
  }

  function replaceFragment(el, html) {
    // Keep open "chart figures" tables open across updates.
    var open = [];
    var details = el.querySelectorAll("details");
    for (var i = 0; i < details.length; i++) { open.push(details[i].open); }
    el.innerHTML = html;
    details = el.querySelectorAll("details");
    for (var j = 0; j < details.length && j < open.length; j++) { details[j].open = open[j]; }
  }

  // False when the page must reload instead (the status or the deadline changed) or is being left.
  function sync(data) {
    if (leaving) { return false; }
    offset = Date.parse(data.server_now) - Date.now();
    root.setAttribute("data-synced-at", data.server_now);  // when the server last told us its time
    if (data.bid.status !== status || Date.parse(data.bid.deadline) !== deadline) {
      // The page's heading, notices and actions depend on the status and the deadline: show it as it now is.
      // Not while this page is being left (a form of its own, say "Close now", caused the change): reloading
      // then would race the form's own redirect and could swallow its message.
      window.setTimeout(function () { if (!leaving) { window.location.reload(); } }, 300);
      return false;
    }
    return true;
  }

  function swapFragments(fragments) {
    Object.keys(fragments || {}).forEach(function (name) {
      var els = document.querySelectorAll('[data-live-fragment="' + name + '"]');
      for (var i = 0; i < els.length; i++) { replaceFragment(els[i], fragments[name]); }
    });
  }

  function settled() {
    // New tables replaced the old ones: let the page's keyboard helper mark any that scroll sideways again.
    if (typeof window.markScrollableTables === "function") { window.markScrollableTables(); }
    tickCountdown();
    refreshAgo();
  }

  function applySnapshot(data) {
    // Older than what the page already shows (a worker's cached copy from just before the last change): skip it.
    if (data.last_event_id < lastState || !sync(data)) { return; }
    var seen = lastSeenFeedId();
    swapFragments(data.fragments);
    markNew(seen);
    if (data.last_event_id > lastId) { lastId = data.last_event_id; }
    lastState = data.last_event_id;
    settled();
  }

  function parseRow(html) {
    var body = document.createElement("tbody");
    body.innerHTML = html;
    return body.querySelector("tr");
  }

  function rowName(tr) {
    var name = tr.querySelector(".member-name");
    return (name ? name.textContent : "").trim();
  }

  // A row the page does not show yet goes in only where the table holds every member (data-live-rows="all"):
  // by name where the table is in name order, otherwise first (a paginated table leaves it to the next load).
  function insertRow(body, tr) {
    var rows = body.querySelectorAll("tr[data-organisation-id]");
    if (body.getAttribute("data-live-order") === "name") {
      for (var i = 0; i < rows.length; i++) {
        if (rowName(rows[i]).localeCompare(rowName(tr)) > 0) { body.insertBefore(tr, rows[i]); return; }
      }
      body.appendChild(tr);
    } else {
      body.insertBefore(tr, body.firstChild);
    }
  }

  function applyRow(row) {
    var tables = document.querySelectorAll("[data-live-fragment=members]");
    for (var i = 0; i < tables.length; i++) {
      var shown = tables[i].querySelector('tr[data-organisation-id="' + row.organisation_id + '"]');
      if (!row.html) {
        if (shown) { shown.parentNode.removeChild(shown); }  // no live pledge now: the row goes
        continue;
      }
      var tr = parseRow(row.html);
      if (shown) {
        shown.parentNode.replaceChild(tr, shown);
      } else {
        var body = tables[i].querySelector('tbody[data-live-rows="all"]');
        if (body) { insertRow(body, tr); }
      }
    }
  }

  function applyFeedItem(html, length) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var item = holder.querySelector("li[data-event-id]");
    var feeds = document.querySelectorAll("[data-live-fragment=feed]");
    for (var i = 0; i < feeds.length; i++) {
      var list = feeds[i].querySelector("ol.feed");
      if (!list) { replaceFragment(feeds[i], html); continue; }  // the first line: the list itself comes
      if (!item || list.querySelector('li[data-event-id="' + item.getAttribute("data-event-id") + '"]')) { continue; }
      var copy = item.cloneNode(true);
      list.insertBefore(copy, list.firstChild);
      while (list.children.length > length) { list.removeChild(list.lastElementChild); }
    }
    var fresh = document.querySelectorAll("[data-live-fragment=feed] li[data-event-id]");
    var id = item ? item.getAttribute("data-event-id") : null;
    for (var j = 0; j < fresh.length; j++) {
      if (fresh[j].getAttribute("data-event-id") === id) { fresh[j].classList.add("is-new"); }
    }
  }

  // One change: the figures and small fragments, the members table's page and the charts as data (unless the
  // page already shows a later state), the changed member row where the page shows it, and the feed line. A
  // page that cannot apply a part (it lacks a row, its chart has other parts) takes a fresh snapshot instead.
  function applyUpdate(data, eventId) {
    if (!sync(data)) { return; }
    var whole = true;
    if (data.last_event_id >= lastState) {
      swapFragments(data.fragments);
      if (data.table) { whole = window.livePatches.table(data.table) && whole; }
      if (data.chart) { whole = window.livePatches.chart(data.chart) && whole; }
      lastState = data.last_event_id;
    }
    (data.rows || []).forEach(applyRow);
    if (data.feed_item) { applyFeedItem(data.feed_item, data.feed_length || 20); }
    if (eventId > lastId) { lastId = eventId; }
    settled();
    if (!whole) { resync(); }
  }

  // Start again from a snapshot: reconnect (every stream begins with one), or poll at once when polling.
  function resync() {
    if (pollTimer) { poll(); return; }
    if (source) { source.close(); }
    window.clearTimeout(retryTimer);
    resyncing = true;
    connect();
  }

  function lastSeenFeedId() {
    var first = document.querySelector("[data-live-fragment=feed] li[data-event-id]");
    return first ? parseInt(first.getAttribute("data-event-id"), 10) : 0;
  }

  function markNew(seen) {
    var items = document.querySelectorAll("[data-live-fragment=feed] li[data-event-id]");
    for (var i = 0; i < items.length; i++) {
      if (parseInt(items[i].getAttribute("data-event-id"), 10) > seen) { items[i].classList.add("is-new"); }
    }
  }

  function applyActivity(item) {
    if (item.id > lastId) { lastId = item.id; }
    if (announcer) { announcer.textContent = item.text; }
  }

  function streamAddress() {
    // After a failed update, ask for a snapshot at least as new as the figures shown.
    var from = resyncing ? Math.max(lastId, lastState) : lastId;
    resyncing = false;
    return streamUrl + "?last_event_id=" + from + tableQuery;
  }

  function connect() {
    if (!window.EventSource) { startPolling(); return; }
    source = new EventSource(streamAddress());
    source.addEventListener("open", function () { window.clearTimeout(quietTimer); setState("live", "Live"); });
    source.addEventListener("snapshot", function (e) {
      failures = 0;
      window.clearTimeout(quietTimer);
      setState("live", "Live");
      applySnapshot(JSON.parse(e.data));
    });
    source.addEventListener("update", function (e) {
      failures = 0;
      applyUpdate(JSON.parse(e.data), parseInt(e.lastEventId, 10) || 0);
    });
    source.addEventListener("activity", function (e) { applyActivity(JSON.parse(e.data)); });
    source.addEventListener("error", function () {
      failures += 1;
      // A stream ends by design every few minutes and the browser is back within seconds: only say
      // "Reconnecting…" at once when it has already failed, otherwise if it is not back in 5 seconds.
      window.clearTimeout(quietTimer);
      quietTimer = window.setTimeout(function () {
        setState("reconnecting", "Reconnecting…");
      }, failures > 1 ? 0 : 5000);
      if (failures >= MAX_STREAM_FAILURES) {
        source.close();
        startPolling();
      } else if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an error status or a proxy's page): try again ourselves, from where we were.
        source.close();
        window.clearTimeout(retryTimer);
        retryTimer = window.setTimeout(connect, 1000 * Math.min(30, Math.pow(2, failures)));
      }
      // Otherwise the browser reconnects by itself, sending Last-Event-ID.
    });
  }

  function pollingText() {
    return pollSeconds === 1 ? "Updating every second" : "Updating every " + pollSeconds + " seconds";
  }

  function startPolling() {
    if (pollTimer) { return; }
    setState("polling", pollingText());
    poll();
    pollTimer = window.setInterval(poll, pollSeconds * 1000);
  }

  function poll() {
    var url = pollUrl + "?after=" + lastId + tableQuery;
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { throw new Error("logged out"); }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        setState("polling", pollingText());
        (data.events || []).forEach(applyActivity);
        applySnapshot(data.snapshot);
        if (data.last_event_id > lastId) { lastId = data.last_event_id; }
      })
      .catch(function (err) {
        setState("reconnecting", err.message === "logged out" ? "Not updating: log in again to see live figures" : "Reconnecting…");
      });
  }

  window.addEventListener("beforeunload", function () {
    leaving = true;
    if (source) { source.close(); }
    if (pollTimer) { window.clearInterval(pollTimer); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }  // back from the page cache: the stream was closed
  });

  tickCountdown();
  window.setInterval(tickCountdown, 1000);
  window.setInterval(refreshAgo, 30000);
  connect();
}());

/* Keyboard help for every page (loaded from base.html; the CSP allows no inline script).
 * 1. Move focus to the element marked data-focus (an error summary, a conflict message) so that it is
 *    read out and the next Tab starts from it.
 * 2. A link in an error summary moves focus to its field (for a group of boxes, the first box), and
 *    scrolls so that the field's label or question is in view too.
 * 3. A table too wide for the screen scrolls inside its .table-wrap: make that box reachable with the
 *    keyboard and give it a name, so people who do not use a mouse can scroll it with the arrow keys.
 *    A box marked data-scrollable (the activity feed) is rendered reachable already, named by its
 *    aria-label; it loses its keyboard stop only while it has nothing to scroll.
 */
(function () {
  "use strict";

  function focusMarked() {
    var target = document.querySelector("[data-focus]");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  function followErrorLink(event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    var field = target.matches("input, textarea, select") ? target : target.querySelector("input, textarea, select");
    if (!field) return;
    event.preventDefault();
    (target.closest(".field") || target).scrollIntoView();
    field.focus({ preventScroll: true });
  }

  function nameFor(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var node = wrap.previousElementSibling;
    while (node) {
      if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
      node = node.previousElementSibling;
    }
    return "Table";
  }

  function markScrollable() {
    var boxes = document.querySelectorAll("[data-scrollable]");
    for (var j = 0; j < boxes.length; j++) {
      var box = boxes[j];
      var scrolls = box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
      if (scrolls) { box.setAttribute("tabindex", "0"); } else { box.removeAttribute("tabindex"); }
    }
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", nameFor(wrap) + " (scrolls sideways)");
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
  }

  function ready() {
    markScrollable();
    focusMarked();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  document.addEventListener("click", followErrorLink);
  var pending;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(markScrollable, 150);
  });
  /* Live updates (app/static/js) may change a table; they can call this again. */
  window.markScrollableTables = markScrollable;
})();

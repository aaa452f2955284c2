"""Helpers for the browser journeys: screenshots of every step, axe-core, overflow and focus checks, the outbox."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "ci-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORTS = ARTIFACTS / "axe"

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
#: Every step fails on a violation of any impact: minor and moderate ones are real problems too.
BLOCKING_IMPACTS = {"minor", "moderate", "serious", "critical"}
#: WCAG 2.2 AA (the standard UK public bodies must meet) plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _axe_script() -> str:
    """axe-core as shipped inside axe-playwright-python (MPL-2.0), read from disk: no network."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


# ---------------------------------------------------------------- axe-core


def audit(page, *, label: str = "") -> dict:
    """Run axe-core on the page; fail on any violation (of any impact). Returns axe's results (violations,
    and "incomplete": what axe could not decide and a person should look at).

    ``page.evaluate`` runs through the DevTools protocol, so the page's CSP (script-src 'self') stays on.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_script())
    result = page.evaluate(
        "async (tags) => await window.axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations = result["violations"]
    # An impact axe did not set (None) counts too: nothing found is let through.
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS or v.get("impact") is None]
    assert not blocking, f"axe found problems on {label or page.url}:\n" + describe(blocking)
    return result


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s): {targets}")
    return "\n".join(lines)


BROKEN_REFERENCES_JS = """
() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby], label[for]')].flatMap(el =>
  ['aria-describedby', 'aria-labelledby', 'for'].flatMap(name => (el.getAttribute(name) || '').split(/\\s+/)
    .filter(id => id && !document.getElementById(id)).map(id => `${el.tagName}#${el.id} ${name}="${id}"`)))
"""


def check_references(page) -> None:
    """Every id that a label, hint or error message is tied to by exists (axe only flags these for review)."""
    broken = page.evaluate(BROKEN_REFERENCES_JS)
    assert not broken, f"references to missing ids on {page.url}: {broken}"


# ---------------------------------------------------------------- layout at phone size

OVERFLOW_JS = """
() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        wide: [...document.querySelectorAll('body *')].filter(el => {
          const r = el.getBoundingClientRect();
          if (!r.width || el.closest('.table-wrap, .visually-hidden, .skip-link')) return false;
          return r.right > document.documentElement.clientWidth + 1;
        }).slice(0, 5).map(el => el.outerHTML.slice(0, 120))})
"""

ACTIONS_JS = """
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const show = (why, el) => problems.push(why + ': ' + el.outerHTML.slice(0, 100));
  const selector = 'main button, main .button, main input[type=submit], header button, header a';
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('details:not([open])') || el.closest('.visually-hidden')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') { show('hidden', el); continue; }
    el.scrollIntoView({block: 'center', inline: 'nearest'});
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { show('zero-size', el); continue; }
    if (r.left < -1 || r.right > width + 1) { show('cut off at the side', el); continue; }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (hit && hit !== el && !el.contains(hit) && !hit.contains(el)) show('covered', el);
  }
  window.scrollTo(0, 0);
  return problems;
}
"""


def check_layout(page, width: int) -> None:
    """Nothing wider than the screen (tables scroll inside .table-wrap), and every action button reachable.

    A phone browser zooms out to fit a page that is too wide, so innerWidth is compared with the screen's width.
    """
    found = page.evaluate(OVERFLOW_JS)
    assert max(found["scroll"], found["inner"]) <= width + 1, f"page is wider than the screen on {page.url}: {found}"
    assert not found["wide"], f"elements stick out past the screen on {page.url}: {found['wide']}"
    problems = page.evaluate(ACTIONS_JS)
    assert not problems, f"actions hidden or cut off on {page.url}: {problems}"


# ---------------------------------------------------------------- focus

FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {tag: el.tagName, id: el.id, text: (el.innerText || el.value || '').trim().slice(0, 60),
          visible: outline || shadow, outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow};
}
"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_JS)


def tab_to(page, selector: str, *, limit: int = 80, reverse: bool = False) -> dict:
    """Press Tab until the focused element matches ``selector``, checking that every stop shows its focus."""
    key = "Shift+Tab" if reverse else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        info = focused(page)
        if info is None:
            continue
        assert info["visible"], f"focus is not visible on {info}"
        if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
            return info
    raise AssertionError(f"could not reach {selector!r} with {key} in {limit} presses on {page.url}")


# ---------------------------------------------------------------- the journey recorder


@dataclass
class Journey:
    """Records a journey: a numbered screenshot of every step, axe-core, layout checks at phone size."""

    page: object
    name: str
    viewport: str
    count: int = 0
    violations: dict[str, dict] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.folder = SCREENSHOTS / self.name / self.viewport
        shutil.rmtree(self.folder, ignore_errors=True)  # this run's steps only, numbered from 01
        self.folder.mkdir(parents=True)
        self.watch(self.page)

    def watch(self, page) -> None:
        """Collect CSP violations and script errors: the page must work with script-src 'self'."""
        page.on("pageerror", lambda exc: self.console_errors.append(f"script error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.console_errors.append(msg.text)
                if msg.type == "error" and "Content Security Policy" in msg.text
                else None
            ),
        )

    def step(self, label: str, page=None, *, check: bool = True) -> None:
        """Screenshot the page as step NN, then (unless told not to) run axe and the layout checks."""
        page = page or self.page
        page.wait_for_load_state("load")
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        if check:
            self.violations[f"{self.count:02d}-{slug} {page.url}"] = audit(page, label=f"{self.name}/{label}")
            check_references(page)
            if self.viewport == "phone":
                check_layout(page, VIEWPORTS["phone"]["width"])
            assert page.locator("h1").count() == 1, f"{label}: a page needs exactly one h1 ({page.url})"
            title = page.title()
            page_name = title.removesuffix(" – Consortium Bid Manager").strip()
            assert page_name and page_name != title, f"{label}: the title must name the page and the service: {title!r}"
        assert not self.console_errors, f"{label}: {self.console_errors}"

    def save_report(self) -> None:
        AXE_REPORTS.mkdir(parents=True, exist_ok=True)
        summary = {
            step: {
                "violations": [
                    {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in found["violations"]
                ],
                "needs_review": sorted({v["id"] for v in found.get("incomplete", [])}),
            }
            for step, found in self.violations.items()
        }
        (AXE_REPORTS / f"{self.name}-{self.viewport}.json").write_text(json.dumps(summary, indent=2))


# ---------------------------------------------------------------- the outbox folder


def read_outbox(folder: Path) -> list[email.message.EmailMessage]:
    """Every message flask-mailman's file backend wrote: files of messages separated by 79 dashes."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.strip(), policy=email.policy.default))
    return messages


def wait_for_email(folder: Path, to: str, *, subject: str = "", timeout: float = 10.0) -> email.message.EmailMessage:
    """The newest message to ``to`` (sending happens in a thread after commit, so wait for it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in read_outbox(folder) if to in str(m["To"]) and subject in str(m["Subject"])]
        if found:
            return found[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"no email to {to} with {subject!r} in {folder} after {timeout}s")
        time.sleep(0.1)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message: email.message.EmailMessage, base_url: str) -> str:
    match = re.search(re.escape(base_url) + r"/\S+", text_of(message))
    assert match, f"no link to {base_url} in the email:\n{text_of(message)}"
    return match.group(0)

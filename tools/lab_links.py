"""Follow the notebooks' links in JupyterLab, in a real browser, and print where each one lands.

A measurement, not a test: JupyterLab draws Markdown asynchronously, so where a click lands
depends on timing that no test should depend on. The static rules every link follows are
tested in tests/test_links.py; this shows what JupyterLab does with them.

Run it from the project's root with the environment's Python (``make lab-links``; it needs
only the system Chromium, driven over the DevTools pipe by ``tashkent_report.tools.accessibility``,
as ``make axe`` does: no Playwright, no browser download):

    .venv/bin/python tools/lab_links.py               # the target chapter opened first, then the link
    .venv/bin/python tools/lab_links.py --first-open  # the target chapter not open yet
    .venv/bin/python tools/lab_links.py 01-participation.ipynb
    LAB_LINKS_DEBUG=1 .venv/bin/python tools/lab_links.py   # also each target's box and the scrolls seen

It starts the environment's JupyterLab (``.venv/bin/jupyter lab``, with its overrides.json) on a
copy of notebooks/ in a temporary folder, so that nothing it opens is saved over the project's
notebooks. For each chapter it clicks one link of each kind (the first to each other chapter,
each kind of target within). A click is a real mouse press and release at the link's centre
(DevTools ``Input.dispatchMouseEvent``), after the link is scrolled into view.

What counts as landed, strictly: after the click (and a second more for JupyterLab to finish
drawing), the tab the link should open is the current one, the target's box is inside the
notebook's view (whole, or, for a cell taller than the view, its top in the top quarter), the
notebook's view scrolled after the click, and the target was out of view before it: where the
link's own notebook stood before the click, or at the top for a chapter the click brings to the
front (a tab not shown since JupyterLab opened). A target that was in view before the click is
reported as "in view" and not counted either way: no scroll is needed to see it, so it shows
nothing about where JupyterLab scrolls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import nbformat

from tashkent_report.tools.accessibility import CHROMIUM_NAMES, AccessibilityError, Browser, chromium

ROOT = Path(__file__).resolve().parents[1]
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
LINKS = f"{PANEL} .jp-MarkdownCell a[href*='#']"
WIDTH, HEIGHT = 1280, 900
LOCATE = """(([panel, kind, value, cellIndex]) => {
  const p = document.querySelector(panel); if (!p) return null;
  let el = null;
  if (kind === 'cell') el = p.querySelectorAll('.jp-Notebook .jp-Cell')[cellIndex];
  else if (kind === 'label') el = p.querySelector('[id="' + value.replace(/\\./g, '-') + '"]');
  else el = p.querySelector('[data-jupyter-id="' + value + '"], [id="' + value + '"]');
  if (!el) return null;
  const scroller = p.querySelector('.jp-WindowedPanel-outer'), view = scroller.getBoundingClientRect();
  const box = el.getBoundingClientRect();
  return {top: Math.round(box.top - view.top), height: Math.round(box.height), view: Math.round(view.height),
          scrollTop: Math.round(scroller.scrollTop), panel: p.id};
})"""
# Every scroll of a notebook's view from now on, by panel: the measure counts only a scroll after the click.
RECORD_SCROLLS = """(() => {
  window.__labLinksScrolls = [];
  if (!window.__labLinksListening) {
    window.__labLinksListening = true;
    document.addEventListener('scroll', (event) => {
      const t = event.target;
      if (t instanceof Element && t.classList.contains('jp-WindowedPanel-outer') && window.__labLinksScrolls)
        window.__labLinksScrolls.push([t.closest('.jp-NotebookPanel')?.id, t.scrollTop]);
    }, true);
  }
})()"""
# The link's centre in the viewport, once scrolled into view (null if there is no such link).
CENTRE = """((selector, index) => {
  const a = document.querySelectorAll(selector)[index]; if (!a) return null;
  a.scrollIntoView({block: 'center'});
  const r = a.getClientRects()[0] || a.getBoundingClientRect();
  return [r.left + r.width / 2, r.top + r.height / 2];
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(folder: Path) -> tuple[subprocess.Popen, str]:
    port, token = free_port(), secrets.token_hex(8)
    lab = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "jupyter"), "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--notebook-dir={folder}", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            return lab, f"{base}/lab/tree/notebooks/{{name}}?token={token}"
        except OSError:
            time.sleep(0.5)
    lab.kill()
    raise SystemExit("JupyterLab did not start")


class Lab:
    """One browser tab on JupyterLab, driven over the DevTools protocol."""

    def __init__(self, browser: Browser, url: str, folder: Path):
        self.browser, self.url, self.folder = browser, url, folder
        self.session = browser.page(WIDTH, HEIGHT)
        self.cells = {p.name: {c.id: i for i, c in enumerate(nbformat.read(p, 4).cells)}
                      for p in folder.glob("[0-9][0-9]-*.ipynb")}

    def js(self, expression: str, *args):
        """Evaluate ``expression`` (a function when ``args`` are given, called with them)."""
        if args:
            expression = f"{expression}(...{json.dumps(list(args))})"
        return self.browser.evaluate(self.session, expression)

    def wait_until(self, expression: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise SystemExit(f"JupyterLab did not draw in {timeout:.0f} s: {expression}")
            time.sleep(0.1)

    def open(self, name: str, fresh: bool = False) -> None:
        """Open a chapter (a fresh workspace: nothing else open) and wait for its Markdown."""
        self.browser.open(self.session, self.url.format(name=name) + ("&reset" if fresh else ""))
        markdown = sum(c.cell_type == "markdown" for c in nbformat.read(self.folder / name, 4).cells)
        drawn = (f"document.querySelectorAll('{PANEL} .jp-MarkdownCell .jp-RenderedMarkdown, "
                 f"{PANEL} .jp-MarkdownCell .myst').length")
        self.wait_until(f"{drawn} >= {markdown}")
        time.sleep(1.5)

    def links(self) -> list[tuple[int, str, str]]:
        found = self.js(f"""Array.from(document.querySelectorAll("{LINKS}"))
            .map((a, i) => [i, a.getAttribute('href'), a.textContent, a.title])""")
        return [(i, href, text) for i, href, text, title in found if title != "Link to this Section"]

    def scroll_to_link(self, index: int) -> None:
        if self.js(CENTRE, LINKS, index) is None:
            raise SystemExit(f"no link number {index} to click")

    def click(self, index: int) -> None:
        """A left click at the centre of the ``index``-th link, as a mouse gives it."""
        centre = self.js(CENTRE, LINKS, index)
        if centre is None:
            raise SystemExit(f"no link number {index} to click")
        x, y = centre
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.browser.send("Input.dispatchMouseEvent", {
                "type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none",
                "buttons": 1 if kind == "mousePressed" else 0, "clickCount": 1}, session=self.session)

    def where(self, kind: str, value: str, cell: int):
        return self.js(LOCATE, [PANEL, kind, value, cell])

    def current(self) -> str | None:
        return self.js("document.querySelector("
                       "'.lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel')?.textContent")


def in_view(spot: dict | None, scroll_top: int | None = None) -> bool:
    """The target's box inside the notebook's view, as it is or with the view scrolled to
    ``scroll_top``: whole, or for a target taller than the view, its top in the view's top quarter."""
    if not spot or spot["view"] <= 0 or spot["height"] <= 0:
        return False
    top = spot["top"] + (spot["scrollTop"] - scroll_top if scroll_top is not None else 0)
    if spot["height"] <= spot["view"]:
        return 0 <= top and top + spot["height"] <= spot["view"]
    return 0 <= top <= spot["view"] / 4


def follow(lab: Lab, name: str, first_open: bool) -> list[str]:
    """Each link's result: "landed", "MISSED" or "in view" (the target in view before the click)."""
    results, seen = [], set()
    lab.open(name, fresh=True)
    for index, href, text in lab.links():
        match = re.match(r"^(?:.*/files/notebooks/([^?#]+)(?:\?[^#]*)?)?#(.+)$", href)
        if not match:
            continue
        file, fragment = (unquote(match[1]) if match[1] else None), unquote(match[2])
        key = (file, fragment.split("-")[0]) if file else fragment  # one per chapter and kind; each within
        if key in seen:
            continue
        seen.add(key)
        target = file or name
        if fragment.startswith("cell-id="):
            value = fragment.removeprefix("cell-id=")
            kind, cell = "cell", lab.cells[target].get(value, -1)
        elif fragment.startswith("sec-") and not file:
            kind, value, cell = "label", fragment, -1
        else:
            kind, value, cell = "id", fragment, -1
        if file and target != name:
            if first_open:
                lab.open(name, fresh=True)
            else:
                lab.open(target, fresh=True)
                lab.open(name)  # the target chapter open in a tab behind this one, never shown yet
        lab.js(f"document.querySelector('{PANEL} .jp-WindowedPanel-outer').scrollTop = 0")
        time.sleep(0.3)
        lab.scroll_to_link(index)
        time.sleep(0.5)
        # Where the target stands before the click: measured in this notebook; a chapter not shown
        # yet will show its top first.
        before = lab.where(kind, value, cell) if target == name else None
        before_top = 0
        lab.js(RECORD_SCROLLS)
        lab.click(index)
        spot, deadline = None, time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.25)
            spot = lab.where(kind, value, cell)
            if in_view(spot) and lab.current() == target:
                break
        time.sleep(1.0)  # drawing may still move it: where it ends is what a reader sees
        spot, current = lab.where(kind, value, cell), lab.current()
        scrolls = lab.js("window.__labLinksScrolls") or []
        scrolled = bool(spot) and any(panel == spot["panel"] for panel, _ in scrolls)
        if in_view(before) if target == name else in_view(spot, before_top):
            result = "in view"
        elif current == target and in_view(spot) and scrolled:
            result = "landed"
        else:
            result = "MISSED"
        results.append(result)
        where = f"target at {spot['top']} px of {spot['view']}" if spot else "target not found"
        print(f"{result:8}{name} -> {(file + ' ') if file else ''}#{fragment}"
              f"  ({text[:24]!r}; {current}, {where}{'' if scrolled else ', no scroll'})", flush=True)
        if os.environ.get("LAB_LINKS_DEBUG"):
            print(f"        before {before}, after {spot}, scrolls {scrolls[-3:]}", flush=True)
        if current != name:
            lab.open(name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*")
    parser.add_argument("--first-open", action="store_true", help="the target chapter not open yet")
    args = parser.parse_args()
    executable = chromium()
    if executable is None:
        raise SystemExit(f"no Chromium on PATH ({', '.join(CHROMIUM_NAMES)}; or set TASHKENT_CHROMIUM)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", folder)
        process, url = start_lab(Path(tmp))
        try:
            with Browser(executable) as browser:
                lab = Lab(browser, url, folder)
                names = args.notebooks or sorted(lab.cells)
                results = [r for name in names for r in follow(lab, name, args.first_open)]
        except AccessibilityError as exc:
            raise SystemExit(f"Chromium stopped: {exc}") from None
        finally:
            process.terminate()
            process.wait(timeout=30)
    counted = [r for r in results if r != "in view"]
    print(f"{counted.count('landed')} of {len(counted)} links landed (scrolled into view by the click); "
          f"{len(results) - len(counted)} more had their target in view already, not counted")
    sys.exit(0 if "MISSED" not in results else 1)


if __name__ == "__main__":
    main()

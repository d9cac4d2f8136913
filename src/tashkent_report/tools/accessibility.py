"""axe-core on the built report in the system Chromium, at a phone's width and a desktop's.

    python -m tashkent_report.accessibility reports/report.html --screenshots .cache/screenshots

(``make axe``). The report holds no script, so axe is injected into the page as loaded; the
page's layout width is set exactly (390 and 1280 CSS px) by the DevTools protocol, since a
headless window is never narrower than 500 px. Chromium is driven over a pipe
(``--remote-debugging-pipe``: commands on file descriptor 3, replies on 4, each message ending
in NUL), so nothing but Chromium and axe-core is needed: no Playwright, Selenium or Node.

axe-core is pinned with its integrity hash in ``tools/axe/package-lock.json`` and installed by
``make axe`` (``npm ci``) into ``tools/axe/node_modules/`` (not committed). A page fails on any
violation of impact serious or critical, and on any ``empty-table-header``.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tashkent_report.config import ROOT, relative

AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 390, "desktop": 1280}
HEIGHT = 844
FAILING_IMPACTS = ("serious", "critical")
ALWAYS_FAILING = ("empty-table-header",)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-extensions", "--hide-scrollbars", "--mute-audio"]
TIMEOUT = 120.0
# Where a screenshot looks besides the top of the page: a wide table, a chart, a number link's
# landing place (the address's #fragment, as a click on the link gives it).
VIEWS = {"top": "", "table": "#tab-figures-across", "chart": "#fig-message-coverage",
         "landing": "#q-delegations"}


class AccessibilityError(Exception):
    """The check could not run (no Chromium, no axe-core, a page that did not load)."""


def chromium() -> str | None:
    """The Chromium to use: $TASHKENT_CHROMIUM, else the first of the usual names on PATH."""
    if os.environ.get("TASHKENT_CHROMIUM"):
        return shutil.which(os.environ["TASHKENT_CHROMIUM"])
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def missing() -> str | None:
    """Why the check cannot run here, or None."""
    if chromium() is None:
        named = os.environ.get("TASHKENT_CHROMIUM")
        return (f"no Chromium at TASHKENT_CHROMIUM={named}" if named else
                f"no Chromium on PATH ({', '.join(CHROMIUM_NAMES)}; or set TASHKENT_CHROMIUM)")
    if not AXE.is_file():
        return f"no axe-core at {relative(AXE)} (make axe installs the pinned version with npm ci)"
    return None


class Browser:
    """A headless Chromium driven over the DevTools protocol's pipe transport."""

    def __init__(self, executable: str):
        self.profile = tempfile.TemporaryDirectory(prefix="tashkent-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire():
            # The child reads commands on fd 3 and writes replies on fd 4. Both ends are first
            # moved above 9, so that neither is overwritten by the other's dup2; the copies on 3
            # and 4 are the only ones that survive exec (Python's own descriptors close on exec).
            low, high = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10), fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
            os.dup2(low, 3)
            os.dup2(high, 4)

        self.process = subprocess.Popen(
            [executable, *CHROMIUM_ARGS, "--remote-debugging-pipe",
             f"--user-data-dir={self.profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=wire)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next = 0
        self._events: list[dict] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("Browser.close", timeout=10)
            except (AccessibilityError, OSError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        self.profile.cleanup()

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AccessibilityError("Chromium did not answer in time")
            ready, _, _ = select.select([self._read], [], [], left)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise AccessibilityError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = TIMEOUT) -> dict:
        self._next += 1
        command = {"id": self._next, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        os.write(self._write, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._message(deadline)
            if message.get("id") == self._next:
                if "error" in message:
                    raise AccessibilityError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, event: str, session: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == event and message.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._message(deadline))

    def page(self, width: int, height: int = HEIGHT) -> str:
        """A new tab laid out at exactly ``width`` CSS px; returns its session."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                  "deviceScaleFactor": 1, "mobile": False}, session=session)
        return session

    def open(self, session: str, url: str) -> None:
        self._events = [e for e in self._events if e.get("sessionId") != session]
        result = self.send("Page.navigate", {"url": url}, session=session)
        if result.get("errorText"):
            raise AccessibilityError(f"{url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired", session)

    def evaluate(self, session: str, expression: str, timeout: float = TIMEOUT):
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                           "returnByValue": True}, session=session, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise AccessibilityError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def screenshot(self, session: str) -> bytes:
        shot = self.send("Page.captureScreenshot", {"format": "png"}, session=session)
        return base64.b64decode(shot["data"])


RUN_AXE = """axe.run(document, {resultTypes: ['violations']}).then(r => ({
  version: axe.version,
  violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(' '))}))}))"""


def audit(page: Path, widths: dict[str, int] = WIDTHS, screenshots: Path | None = None,
          views: dict[str, str] = VIEWS) -> dict[str, dict]:
    """axe's violations at each width ({name: {"version", "width", "violations"}}); with
    ``screenshots``, a PNG of each view at each width (``<name>-<view>.png``)."""
    reason = missing()
    if reason:
        raise AccessibilityError(reason)
    axe = AXE.read_text(encoding="utf-8")
    url = Path(page).resolve().as_uri()
    results = {}
    with Browser(chromium()) as browser:
        for name, width in widths.items():
            session = browser.page(width)
            browser.open(session, url)
            layout = browser.evaluate(session, "document.documentElement.clientWidth")
            if layout != width:
                raise AccessibilityError(f"the page was laid out {layout} px wide, not {width}")
            browser.evaluate(session, axe)
            result = browser.evaluate(session, RUN_AXE)
            results[name] = {"width": width, **result}
            if screenshots is not None:
                screenshots.mkdir(parents=True, exist_ok=True)
                for view, fragment in views.items():
                    browser.open(session, "about:blank")
                    browser.open(session, url + fragment)
                    (screenshots / f"{name}-{view}.png").write_bytes(browser.screenshot(session))
    return results


def failures(result: dict) -> list[dict]:
    """The violations that fail a page: serious or critical, or an empty table header."""
    return [v for v in result["violations"]
            if v["impact"] in FAILING_IMPACTS or v["id"] in ALWAYS_FAILING]


def summary(results: dict[str, dict]) -> str:
    lines = []
    for name, result in results.items():
        counts = ", ".join(f"{v['id']} ({v['impact']}) x{len(v['nodes'])}" for v in result["violations"])
        lines.append(f"{name} ({result['width']} px, axe-core {result['version']}): "
                     f"{counts or 'no violations'}")
        for violation in failures(result):
            lines.append(f"  {violation['id']}: {violation['help']}: " + "; ".join(violation["nodes"][:5])
                         + (" ..." if len(violation["nodes"]) > 5 else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, nargs="?", default=ROOT / "reports" / "report.html")
    parser.add_argument("--screenshots", type=Path, metavar="DIR", help="write PNGs of each width here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write axe's violations here")
    args = parser.parse_args(argv)
    if not args.page.is_file():
        print(f"Accessibility check stopped: {args.page} is not a file (make report writes it).",
              file=sys.stderr)
        return 1
    try:
        results = audit(args.page, screenshots=args.screenshots)
    except (AccessibilityError, OSError) as exc:
        print(f"Accessibility check stopped: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(summary(results))
    failed = sum(len(failures(r)) for r in results.values())
    if failed:
        print(f"Accessibility check failed: {failed} rule(s) with serious or critical violations "
              "or empty table headers.", file=sys.stderr)
        return 1
    if args.screenshots:
        print(f"Screenshots in {args.screenshots}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

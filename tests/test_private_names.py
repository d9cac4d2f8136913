"""The build uses other libraries' public APIs only. Where there is no public route, the smallest
patch stays, cites its upstream issue beside it, and is pinned here to the version it was written
for: an upgrade fails these tests, to be looked at again, instead of breaking the build silently."""

import inspect
import re
from importlib.metadata import version

import pytest

from tashkent_report.config import ROOT

# Each private name or patch once found in the code, and the version its pin was written for
# (None: no public route is missing; the name must be gone). default_args (render/exporters.py)
# and rfc3987_syntax (analysis/dataset.py) are being removed by other changes.
NAMES = {
    "_build_box_tree": ("weasyprint", "70.0"),
    "nbval.kernel.KernelManager =": ("nbval", "0.11.0"),
    "_ip_default": None,
    "_async_pre_start_kernel": None,
    "_cleanup_kernel": None,
    "execute_cell =": None,
    "default_args": None,
    "rfc3987_syntax": None,
}
UPSTREAM = re.compile(r"\b[\w.-]+/[\w.-]+#\d+\b")


def occurrences(name: str) -> list[tuple[str, int, str]]:
    """(file, line number, the comment block above and the line) for each use of ``name``."""
    found = []
    for path in sorted([*(ROOT / "src").rglob("*.py"), ROOT / "conftest.py"]):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if name in line:
                start = number
                while start > 0 and lines[start - 1].strip().startswith("#"):
                    start -= 1
                found.append((str(path.relative_to(ROOT)), number + 1, "\n".join(lines[start:number + 1])))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_no_private_name_unless_pinned_with_its_upstream_issue(name):
    found = occurrences(name)
    if NAMES[name] is None:
        assert found == [], f"{name} is back: use the public route ({found})"
        return
    package, pinned = NAMES[name]
    assert version(package) == pinned, (
        f"{package} is {version(package)}, not the {pinned} that the patch of {name} was written for: "
        "check whether a public route exists now, then update the patch and this pin")
    for where, number, context in found:
        # the comment that cites the issue is right above, or above the function holding the name
        if not UPSTREAM.search(context):
            text = (ROOT / where).read_text(encoding="utf-8")
            assert UPSTREAM.search(text), f"{where}:{number}: {name} without its upstream issue"


def test_the_weasyprint_patch_wraps_what_weasyprint_still_has():
    from weasyprint.pdf import tags

    assert version("weasyprint") == "70.0"
    assert inspect.isgeneratorfunction(tags._build_box_tree)
    assert list(inspect.signature(tags._build_box_tree).parameters) == [
        "box", "parent", "pdf", "page_number", "nums", "annotations", "tags"]


def test_the_nbval_patch_replaces_what_nbval_still_uses():
    import nbval.kernel

    from tashkent_report.render.kernels import IPCKernelManager

    assert version("nbval") == "0.11.0"
    assert nbval.kernel.KernelManager is IPCKernelManager  # the root conftest.py swapped it
    assert "KernelManager(kernel_name=kernel_name" in inspect.getsource(nbval.kernel.start_new_kernel)

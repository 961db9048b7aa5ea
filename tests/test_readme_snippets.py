"""Every ```python block in README.md runs: each in a fresh namespace, with a temporary
folder as the working directory. A block is skipped only when its first line is the
explicit marker ``# readme: not run`` (and then it must say why on that line)."""

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP = "# readme: not run"
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every ```python block of ``text``."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in BLOCK.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_extractor_finds_blocks_and_only_python_ones():
    text = "a\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = 2\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n"), (8, "y = 2\n")]
    assert BLOCKS, "README.md has no ```python block"


@pytest.mark.parametrize("line, code", BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_snippet_runs(line, code, tmp_path, monkeypatch):
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    if first.startswith(SKIP):
        reason = first[len(SKIP):].strip(" :-")
        assert reason, f"README.md:{line}: '{SKIP}' needs a reason on the same line"
        pytest.skip(f"README.md:{line}: {reason}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})

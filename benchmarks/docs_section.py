"""Write one named section of docs/benchmarks.md, between ``<!-- name:begin -->`` and ``<!-- name:end -->``.

Every benchmark script writes its own section this way, so rerunning one replaces only its figures.
"""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nEvery figure here names the command in this repository that produced it.\n"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_section(name: str, text: str, doc: Path = DOC) -> None:
    """Replace section ``name`` with ``text`` (markers added unless ``text`` has them); append it if absent."""
    begin, end = markers(name)
    block = text.strip("\n") if text.lstrip().startswith(begin) else f"{begin}\n{text.strip(chr(10))}\n{end}"
    current = doc.read_text() if doc.exists() else HEADER
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(current)

"""BENCHMARKS.md, written by the benchmark scripts (``make bench``): each script replaces
its own section (between ``<!-- name -->`` markers) and leaves the others as they are."""

import statistics
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"

HEADER = """# nomul benchmarks

Written by `make bench` (each section by the script it names) on the machine that ran it;
figures are measured, not estimated. Fmax is nextpnr's for one placement seed, so each
is given as the median and range over the seeds listed.
"""


def spread(values, digits=1):
    """``median (min - max)`` of ``values``, or the value when they are all equal."""
    if min(values) == max(values):
        return f"{values[0]:,.{digits}f}"
    return (f"{statistics.median(values):,.{digits}f} "
            f"({min(values):,.{digits}f} - {max(values):,.{digits}f})")


def section_rows(name, path=PATH):
    """The table rows (lines starting with ``|``, header and rule left out) of the section
    ``name`` of ``path``, as written last; none when there is no such section."""
    text = path.read_text() if path.exists() else ""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in text or end not in text:
        return []
    lines = text[text.index(start):text.index(end)].splitlines()
    table = [line for line in lines if line.startswith("|")]
    return table[2:]


def write_section(name, title, text, path=PATH):
    """Puts ``text`` under ``## title`` in the section ``name`` of ``path``."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{start}\n## {title}\n\n{text.rstrip()}\n{end}\n"
    old = path.read_text() if path.exists() else HEADER
    if start in old and end in old:
        new = old[:old.index(start)] + section + old[old.index(end) + len(end) + 1:]
    else:
        new = old.rstrip() + "\n\n" + section
    path.write_text(new)
    print(f"wrote the section '{title}' of {path}")

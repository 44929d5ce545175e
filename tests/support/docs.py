"""Code blocks and links of the project's documents, as a reader pastes and follows them."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.aws import ROOT

DOCUMENTS = ("README.md", *sorted(f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")))
"""Every document whose blocks run and whose links are followed, relative to the repository."""
RUNNABLE = ("sh", "bash", "python")
"""The languages whose blocks must run in a test, or say why they cannot."""
NOT_RUN = re.compile(r"<!-- not-run: (?P<reason>.+?) -->")
"""The opt-out, on the line before a block: why no test can run it (an AWS account, a command
that runs until Ctrl-C). Kept to the blocks that truly cannot run."""
MARKER = re.compile(r"<!-- (?P<name>[a-z0-9-]+) -->")
"""A block between `<!-- name -->` and `<!-- /name -->` is one a test runs by that name."""
FENCE = re.compile(r"^\s*```(?P<language>[a-z]*)\s*$")
LINK = re.compile(r"(?<!!)\[(?:[^\]]|\n)*?\]\((?P<target>[^)\s]+)\)|!\[[^\]]*\]\((?P<image>[^)\s]+)\)")


@dataclass(frozen=True)
class Block:
    document: str
    line: int
    """Of the opening fence, 1-based."""
    language: str
    body: str
    marker: str | None
    """The marker just above it: a name a test runs it by, or a not-run line."""


def code_block(document: str, language: str, marker: str | None = None) -> str:
    """The body of the ```language block of `document` (relative to the repository) that stands
    between `<!-- marker -->` and `<!-- /marker -->`, or of its first such block."""
    text = (ROOT / document).read_text()
    fence = rf"```{language}\n(.*?)```\n"
    pattern = fence if marker is None else rf"<!-- {marker} -->\n{fence}<!-- /{marker} -->"
    found = re.search(pattern, text, re.S)
    assert found is not None, f"{document} has no {marker or language} block"
    return found.group(1)


def blocks(document: str) -> Iterator[Block]:
    """Every fenced block of `document`, with the marker line above it, if any."""
    lines = (ROOT / document).read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(at for at in range(index + 1, len(lines)) if lines[at].strip() == "```")
        above = lines[index - 1].strip() if index > 0 else ""
        is_marker = NOT_RUN.fullmatch(above) or MARKER.fullmatch(above)
        body = "\n".join(lines[index + 1 : end]) + "\n"
        yield Block(document, index + 1, opening["language"], body, above if is_marker else None)
        index = end + 1


def links(document: str) -> Iterator[str]:
    """The target of every Markdown link and image of `document`, outside code blocks."""
    text = (ROOT / document).read_text()
    prose = re.sub(r"^\s*```.*?^\s*```\s*$", "", text, flags=re.S | re.M)
    prose = re.sub(r"`[^`\n]*`", "``", prose)
    for found in LINK.finditer(prose):
        yield found["target"] or found["image"]


def heading_anchors(document: Path) -> set[str]:
    """The anchors GitHub gives the headings of `document`: lowercase, punctuation dropped,
    spaces as hyphens, a repeated one numbered."""
    text = re.sub(r"^\s*```.*?^\s*```\s*$", "", document.read_text(), flags=re.S | re.M)
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchor, repeat = slug, 0
        while anchor in anchors:
            repeat += 1
            anchor = f"{slug}-{repeat}"
        anchors.add(anchor)
    return anchors

"""Code blocks of the project's documents, as a reader pastes them."""

import re

from tests.support.aws import ROOT


def code_block(document: str, language: str, marker: str | None = None) -> str:
    """The body of the ```language block of `document` (relative to the repository) that stands
    between `<!-- marker -->` and `<!-- /marker -->`, or of its first such block."""
    text = (ROOT / document).read_text()
    fence = rf"```{language}\n(.*?)```\n"
    pattern = fence if marker is None else rf"<!-- {marker} -->\n{fence}<!-- /{marker} -->"
    found = re.search(pattern, text, re.S)
    assert found is not None, f"{document} has no {marker or language} block"
    return found.group(1)

"""The figures `make bench` writes to bench/results.json, each against its baseline.

`ratio` is above 1 when we are ahead: ours / baseline for a rate, baseline / ours for a cost.
Figures with no baseline carry null for both.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    value: float
    baseline: float | None = None
    ratio: float | None = None


def cost(name: str, unit: str, ours: float, baseline: float) -> Figure:
    return Figure(name, unit, _round(ours), _round(baseline), _round(baseline / ours) if ours else None)


def rate(name: str, unit: str, ours: float, baseline: float) -> Figure:
    return Figure(name, unit, _round(ours), _round(baseline), _round(ours / baseline) if baseline else None)


def alone(name: str, unit: str, ours: float) -> Figure:
    return Figure(name, unit, _round(ours))


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def write(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps([asdict(figure) for figure in figures], indent=2) + "\n")


def read(path: Path) -> list[Figure]:
    return [Figure(**figure) for figure in json.loads(path.read_text())]


def markdown(figures: list[Figure]) -> str:
    lines = ["| figure | unit | ours | baseline | ratio |", "| --- | --- | ---: | ---: | ---: |"]
    for figure in figures:
        baseline = "" if figure.baseline is None else f"{figure.baseline:,.4g}"
        ratio = "" if figure.ratio is None else f"{figure.ratio:,.3g}"
        lines.append(f"| `{figure.name}` | {figure.unit} | {figure.value:,.4g} | {baseline} | {ratio} |")
    return "\n".join(lines)

"""The event catalog: one JSON Schema per event type, generated from the models.

python -m shared.events.catalog --write   # regenerate shared/events/schemas/*.json
python -m shared.events.catalog --check   # exit 1 if the files are not what the models give
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from shared.events.envelope import SUBMITTED_MODELS, Envelope
from shared.events.published import PUBLISHED_MODELS

EVENT_MODELS: dict[str, type[Envelope]] = {**SUBMITTED_MODELS, **PUBLISHED_MODELS}
"""Every event type the project reads or publishes, with the model that describes it."""
SCHEMAS = Path(__file__).with_name("schemas")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema(event_type: str) -> dict[str, Any]:
    """The schema of one event type: its model's, with `type` pinned to that one name."""
    model = EVENT_MODELS[event_type]
    generated = model.model_json_schema(by_alias=True)
    generated["properties"]["type"] = {"const": event_type, "title": "Type"}
    return {"$schema": DRAFT, "$id": f"urn:listmgr:event:{event_type}", **generated, "title": event_type}


def files() -> dict[Path, str]:
    return {
        SCHEMAS / f"{name}.json": json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"
        for name in EVENT_MODELS
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    arguments = parser.parse_args(argv)
    expected = files()
    if arguments.write:
        SCHEMAS.mkdir(exist_ok=True)
        for path, text in expected.items():
            path.write_text(text)
        print(f"wrote {len(expected)} schemas to {SCHEMAS}")
        return 0
    stale = [path.name for path, text in expected.items() if not path.exists() or path.read_text() != text]
    extra = sorted({path.name for path in SCHEMAS.glob("*.json")} - {path.name for path in expected})
    if stale or extra:
        print(f"schemas out of date: {', '.join(stale + extra)}; run make schemas", file=sys.stderr)
        return 1
    print(f"{len(expected)} schemas up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A corpus of malformed records, put on the stream (through the listener's pipeline, as Lambda
delivers them) and sent to the API (Flask's test client over tests.api_fakes.World).

On the stream each one is set aside as a `fault` event whose reason says what is wrong, and the
good records on either side of it in the same batch are applied; the batch never fails. Through
the API each one is a 4xx JSON error, never a 500, and the good requests around it are applied.
"""

import base64
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import simplejson

from services.listener import function
from shared.events.codec import dumps, loads
from shared.events.testing import kinesis_record
from shared.lists.memory import MemoryListStore
from shared.stream.memory import MemoryStream
from tests.api_fakes import ADMIN_KEY, World, bearer
from tests.support.ports import in_memory

ARRIVAL = 1_700_000_000.0
ARRIVAL_MS = int(ARRIVAL * 1000)
GOOD = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}
MIB = 1024 * 1024


def envelope(update: Any = None, **fields: Any) -> bytes:
    document = {"id": "evt-1", "type": "list-update-submitted", "timestamp": ARRIVAL_MS - 1000}
    document["update"] = GOOD if update is None else update
    return dumps({**document, **fields}).encode()


def with_update(**fields: Any) -> bytes:
    return envelope({**GOOD, **fields})


def nested(depth: int) -> bytes:
    return (
        b'{"title":"stats","user":"bill","type":"tally","entries":'
        + b'{"a":' * depth
        + b"1"
        + b"}" * depth
        + b"}"
    )


# (name, data or None for data that is not base64, a phrase the fault's reason must contain)
STREAM_CORPUS: list[tuple[str, bytes | None, str]] = [
    ("bad base64", None, "not valid base64"),
    ("invalid UTF-8", b'{"title": "st\xc3\x28ats"}', "not valid UTF-8"),
    ("UTF-8 of a surrogate", b'{"title": "\xed\xa0\x80"}', "not valid UTF-8"),
    ("not JSON", b"title=stats&user=bill", "not valid JSON"),
    ("truncated JSON", b'{"title": "stats", "user"', "not valid JSON"),
    ("JSON but an array", b"[1, 2, 3]", "not an object"),
    ("1 MiB record", dumps({**GOOD, "entries": {"k" * MIB: 1}}).encode(), "at most 128 characters"),
    ("10,000 levels deep", nested(10_000), "nested too deeply"),
    ("NaN", b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":NaN}}', "NaN"),
    ("Infinity", b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":Infinity}}', "Infinity"),
    ("-Infinity", b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":-Infinity}}', "Infinity"),
    ("1e400", b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":1e400}}', "38 significant"),
    ("39 digits", dumps({**GOOD, "entries": {"xp": 10**38}}).encode(), "38 significant digits"),
    ("huge timestamp", envelope(timestamp=2**63), "more than 5 minutes after"),
    ("10^30 timestamp", envelope(timestamp=10**30), "more than 5 minutes after"),
    ("negative timestamp", envelope(timestamp=-1), "timestamp"),
    ("ancient timestamp", envelope(timestamp=0), "retention"),
    ("fractional timestamp", envelope(timestamp=Decimal("1699999999999.5")), "timestamp"),
    ("string timestamp", envelope(timestamp=str(ARRIVAL_MS)), "timestamp"),
    (
        "duplicate key",
        b'{"title":"stats","user":"bill","user":"beth","type":"tally","entries":{"xp":1}}',
        "duplicate key",
    ),
    (
        "nested duplicate key",
        b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":1,"xp":2}}',
        "duplicate key",
    ),
    ("title a number", with_update(title=5), "title"),
    ("user null", with_update(user=None), "user"),
    ("type unknown", with_update(type="list"), "type"),
    ("entries a list", with_update(entries=[["xp", 1]]), "entries"),
    ("value a string", with_update(entries={"xp": "5"}), "number"),
    ("value a boolean", with_update(entries={"xp": True}), "number"),
    ("rank not an integer", with_update(type="rank", entries={"a": 1.5}), "positive integer"),
    ("rank zero", with_update(type="rank", entries={"a": 0}), "positive integer"),
    ("unknown update field", with_update(colour="red"), "Extra inputs"),
    ("unknown envelope field", envelope(colour="red"), "Extra inputs"),
    (
        "update missing",
        dumps({"id": "e", "type": "list-update-submitted", "timestamp": ARRIVAL_MS}).encode(),
        "update",
    ),
    ("empty entries", with_update(entries={}), "at least 1"),
    ("101 entries", with_update(entries={f"k{n}": 1 for n in range(101)}), "at most 100"),
    ("empty title", with_update(title=""), "at least 1"),
    ("129-character user", with_update(user="u" * 129), "at most 128"),
    ("NUL in a title", with_update(title="st\u0000ats"), "control characters (found U+0000)"),
    ("escape in a user", with_update(user="bi\u001bll"), "control characters (found U+001B)"),
    ("DEL in a key", with_update(entries={"x\u007fp": 1}), "control characters (found U+007F)"),
    ("C1 control in a user", with_update(user="bill\u0085"), "control characters (found U+0085)"),
    (
        "lone surrogate in a user",
        b'{"title":"stats","user":"bi\\ud800ll","type":"tally","entries":{"xp":1}}',
        "valid string",
    ),
    (
        "lone surrogate in a key",
        b'{"title":"stats","user":"bill","type":"tally","entries":{"\\udfff":1}}',
        "valid string",
    ),
    ("id too long", envelope(id="i" * 257), "id"),
    ("1 MiB id", envelope(id="i" * MIB), "id"),
    (
        "lone surrogate in an id",
        b'{"id":"e\\ud800","type":"list-update-submitted","timestamp":1699999999000,"update":{"title":"stats","user":"bill","type":"tally","entries":{"xp":1}}}',
        "id",
    ),
    (
        "lone surrogate in an id, bad update",
        b'{"id":"e\\ud800","type":"list-update-submitted","timestamp":1699999999000,"update":{"title":"stats"}}',
        "user",
    ),
    ("id with a control character", envelope(id="evt\n1"), "id"),
    (
        "delete of nobody",
        dumps(
            {
                "id": "d",
                "type": "list-delete-submitted",
                "timestamp": ARRIVAL_MS,
                "update": {"title": "stats"},
            }
        ).encode(),
        "user",
    ),
]


def listen() -> tuple[Callable[[list[dict[str, Any]]], dict[str, Any]], MemoryListStore, MemoryStream]:
    store, stream = MemoryListStore(), MemoryStream()
    handle = function.handler(in_memory(store=store, stream=stream))

    def run(records: list[dict[str, Any]]) -> dict[str, Any]:
        return handle({"Records": records}, None)

    return run, store, stream


def record(data: bytes | None, sequence: int) -> dict[str, Any]:
    built = kinesis_record(data or b"", sequence, arrival=ARRIVAL)
    if data is None:
        built["kinesis"]["data"] = "%%% not base64 %%%"
    return built


def good(sequence: int, user: str) -> dict[str, Any]:
    return record(dumps({**GOOD, "user": user}).encode(), sequence)


@pytest.mark.parametrize(
    ("data", "phrase"), [case[1:] for case in STREAM_CORPUS], ids=[c[0] for c in STREAM_CORPUS]
)
def test_a_malformed_record_is_set_aside_with_its_reason_and_its_neighbours_apply(
    data: bytes | None, phrase: str
) -> None:
    run, store, stream = listen()
    bad = record(data, 2)
    assert run([good(1, "ann"), bad, good(3, "bob")]) == {"batchItemFailures": []}
    (_, published), *others = stream.records
    assert others == []
    fault = loads(published)
    assert fault["type"] == "fault" and fault["fault"]["sequenceNumber"] == "2", fault
    assert phrase in fault["fault"]["reason"], fault["fault"]["reason"]
    assert "Traceback" not in fault["fault"]["reason"]
    # Everything needed to find and resubmit it; data too large to publish again is left out.
    expected_data = "" if len(bad["kinesis"]["data"]) > MIB - 64 * 1024 else bad["kinesis"]["data"]
    assert fault["fault"]["data"] == expected_data
    assert len(published) <= MIB
    for user in ("ann", "bob"):
        applied = store.user_list("stats", user)
        assert applied is not None and applied.entries == {"xp": Decimal(1)}, user
    assert store.user_list("stats", "bill") is None and store.user_list("stats", "beth") is None


def test_a_batch_made_only_of_the_corpus_sets_every_record_aside_and_fails_none() -> None:
    run, store, stream = listen()
    records = [record(data, n + 1) for n, (_, data, _) in enumerate(STREAM_CORPUS)]
    assert run(records) == {"batchItemFailures": []}
    reasons = {
        loads(data)["fault"]["sequenceNumber"]: loads(data)["fault"]["reason"] for _, data in stream.records
    }
    assert sorted(reasons, key=int) == [str(n + 1) for n in range(len(STREAM_CORPUS))]
    assert list(store.lists()) == []
    # Delivered again: the same fault events (same ids), so subscribers see each once.
    first_ids = [loads(data)["id"] for _, data in stream.records]
    run(records)
    assert [loads(data)["id"] for _, data in stream.records[len(first_ids) :]] == first_ids


def test_an_unknown_event_type_is_ignored_not_a_fault() -> None:
    run, store, stream = listen()
    other = record(dumps({"id": "x", "type": "another-service-event", "timestamp": ARRIVAL_MS}).encode(), 2)
    assert run([good(1, "ann"), other, good(3, "bob")]) == {"batchItemFailures": []}
    assert stream.records == []
    assert {stored.user for stored in store.lists() if stored.user} == {"ann", "bob"}


# -- the API ----------------------------------------------------------------------------------------

BODIES: list[tuple[str, bytes]] = [
    ("invalid UTF-8", b'{"title": "st\xc3\x28ats"}'),
    ("not JSON", b"title=stats&user=bill"),
    ("truncated", b'{"title": "stats", "user"'),
    ("empty body", b""),
    ("JSON but an array", b"[1, 2, 3]"),
    ("1 MiB body", dumps({**GOOD, "entries": {"k" * MIB: 1}}).encode()),
    ("10,000 levels deep", nested(10_000)),
    *((name, data) for name, data, _ in STREAM_CORPUS if data and data.startswith(b'{"title"')),
    # The submission inside each malformed envelope, where the submission is what is wrong.
    *(
        (name, simplejson.dumps(update, use_decimal=True).encode())
        for name, data, _ in STREAM_CORPUS
        if data
        and data.startswith(b'{"id"')
        and isinstance(update := loads(data).get("update"), dict)
        and dumps(update) != dumps(GOOD)  # a boolean 1 is no 1
    ),
]


def post(world: World, body: bytes, **headers: str) -> Any:
    return world.client.post(
        "/lists", data=body, headers={**bearer(ADMIN_KEY), "Content-Type": "application/json", **headers}
    )


def assert_json_error(response: Any, allowed: tuple[int, ...] = (400, 413, 422)) -> None:
    assert response.status_code in allowed, (response.status_code, response.get_data()[:300])
    error = response.get_json()["error"]
    assert error["code"] and error["message"] and "Traceback" not in error["message"]


@pytest.mark.parametrize("body", [body for _, body in BODIES], ids=[name for name, _ in BODIES])
def test_a_malformed_body_is_a_4xx_json_error_and_the_requests_around_it_apply(body: bytes) -> None:
    world = World()
    assert post(world, dumps({**GOOD, "user": "ann"}).encode()).status_code == 202
    assert_json_error(post(world, body))
    assert post(world, dumps({**GOOD, "user": "bob"}).encode()).status_code == 202
    world.apply()
    assert [loads(data)["update"]["user"] for data in world.published()] == ["ann", "bob"]
    for user in ("ann", "bob"):
        assert world.client.get(f"/lists/stats/users/{user}").get_json()["entries"] == {"xp": 1}


QUERIES = [
    "/lists?cursor=" + "A" * 100_000,
    "/lists?cursor=" + base64.urlsafe_b64encode(b"{" * 5000).decode(),
    "/lists?cursor="
    + base64.urlsafe_b64encode(dumps({"listing": "titles", "after": "x" * 10_000}).encode()).decode(),
    "/lists?cursor=" + base64.urlsafe_b64encode(b'{"listing":"titles","after":"a","after":"b"}').decode(),
    "/lists?cursor=" + base64.urlsafe_b64encode(b'{"listing":"users","after":"a"}').decode(),
    "/lists?cursor=%FF%FE",
    "/lists?cursor=" + base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "/lists?limit=-1",
    "/lists?limit=" + "9" * 5000,
    "/lists?limit=NaN",
    "/lists/stats/users?cursor="
    + base64.urlsafe_b64encode(b'{"listing":"users","after":"a\\u0000"}').decode(),
    "/lists/stats/history?cursor="
    + base64.urlsafe_b64encode(dumps({"listing": "history", "before": [2**64, 0]}).encode()).decode(),
    "/lists/stats/history?cursor="
    + base64.urlsafe_b64encode(b'{"listing":"history","before":[-1,1e400]}').decode(),
    "/lists/stats/history?cursor="
    + base64.urlsafe_b64encode(b'{"listing":"history","before":[1,2,3]}').decode(),
    "/lists/st%00ats",
    "/lists/st%ED%A0%80ats",
    "/lists/" + "t" * 129,
    "/lists/stats/users/bi%00ll",
    "/lists/stats/users/bill/changes/" + "i" * 5000,
]


@pytest.mark.parametrize("path", QUERIES, ids=[path[:60] for path in QUERIES])
def test_a_malformed_query_or_path_is_a_4xx_json_error(path: str) -> None:
    world = World()
    post(world, dumps(GOOD).encode())
    world.apply()
    assert_json_error(world.client.get(path), (400, 404, 422))
    assert_json_error(
        world.client.delete(path.split("?", maxsplit=1)[0] + "/users/x", headers=bearer(ADMIN_KEY)),
        (400, 404, 405, 422),
    )

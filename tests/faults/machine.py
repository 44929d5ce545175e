"""A stateful property test of the listener's guarantees (DESIGN.md, "Guarantees"), against a
reference model of the contract, with the seeded faults of tests.faults.layer injected into every
port.

Hypothesis drives submissions (tally and rank), deletes and re-ranks from several users across a
few titles whose names differ only in trailing spaces, case, Unicode normalization, `|`, `#`,
emoji or length; it reuses ids within and across user lists, redelivers batches, replays shards,
cuts batches anywhere, runs two lanes (shards) in any interleaving, runs two batches of one title
concurrently (one commits between the other's load and commit), and floods the stream with
records that must be set aside. At the end the lanes are drained (failed batches delivered again
until they pass) and the outcome must be exactly the model's:
- every user list and aggregate equals the model (rank: last writer wins by timestamp whatever the
  lane; tally: the unique additions in order);
- every change has one remembered outcome, and the archive holds each applied change exactly once
  and nothing else;
- every poison record was published as a `fault` event with its reason, and no good record was;
- no lane is stuck, and `verify` (the archive's rebuild against the live store) finds nothing.

What converges is what DESIGN.md promises: rank lists and their deletes converge across lanes;
the changes of one tally list stay in one lane (in order), as producers key them; every title is
given its type by an anchor user before anything else arrives, and wrong-type submissions go to
the anchor, whose list never changes, so a type conflict is a conflict in every arrival order.

The machine is abstract over its ports (`Ports`): tests/unit/test_stateful.py runs it on the
in-memory store, tests/integration/test_stateful_moto.py on DynamoDB (moto) with SQLite and
MariaDB archives.
"""

import base64
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from services.admin.operations import verify
from services.listener.function import listener
from shared import bootstrap
from shared.events.codec import dumps, loads
from shared.events.testing import kinesis_record
from shared.events.types import FAULT
from shared.lists.archive import ChangeArchive
from shared.lists.dedup import DedupSettings
from shared.lists.entities import aggregate_entity
from shared.lists.store import ListStore
from shared.stream.batch import batch_response
from shared.stream.decoders import kinesis_unit
from shared.stream.faults import fault_id
from shared.stream.pipeline import Step
from shared.stream.publish import Stream
from tests.faults.layer import Faults, FaultyArchive, FaultyStore, FaultyStream

ARRIVAL = 1_700_000_000.0
ARRIVAL_MS = int(ARRIVAL * 1000)
BASE_MS = ARRIVAL_MS - 3_600_000
"""Change n is timestamped BASE_MS + n: an hour before the records arrive, in generation order."""
DEDUP = DedupSettings()
TAGS: dict[str, str | int] = {"source": "listener", "stage": "test", "region": "us-east-1"}

# Names that a store, a key layout or a collation could take for one another.
TALLY_TITLES = ("stats", "stats ", "Stats", "caf\u00e9")
RANK_TITLES = ("cafe\u0301", "movies|U#🎬", "m" * 128)
USERS = ("bill", "bill ", "Bill", "\u00e9", "e\u0301", "u|U#v", "🦄", "x" * 128)
ANCHOR = "anchor"
"""Every title's first user: gives the title its type before anything else arrives, and takes
every wrong-type submission (rejected whatever the order, since its list never changes again)."""
KEYS = ("xp", "XP", "xp ", "k\u00e9", "ke\u0301", "a|b", "#", "🔥", "k" * 128)
TALLY_VALUES = tuple(Decimal(v) for v in ("1", "5", "-3", "0.1", "0.2", "-0.7"))

# Mostly a couple of names, so changes of one list meet (across lanes, in one batch, around a
# failed commit); sometimes any of them, so look-alike names meet too.
users = st.sampled_from(USERS[:2]) | st.sampled_from(USERS)
tally_titles = st.sampled_from(TALLY_TITLES[:1]) | st.sampled_from(TALLY_TITLES)
rank_titles = st.sampled_from(RANK_TITLES[:1]) | st.sampled_from(RANK_TITLES)
tally_entries = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TALLY_VALUES), min_size=1, max_size=4)
rank_entries = st.dictionaries(st.sampled_from(KEYS), st.integers(1, 5), min_size=1, max_size=4)


def _poison_documents() -> dict[str, tuple[bytes | None, str]]:
    """Records that can never apply: (data, or None for data that is not even base64; a phrase
    the fault's reason must contain). Each names real titles and users, so accepting one by
    mistake changes a list and the model sees it."""
    update = {"title": "stats", "user": "bill", "type": "tally", "entries": {"xp": 1}}

    def envelope(**fields: Any) -> bytes:
        document = {"id": "poison", "type": "list-update-submitted", "timestamp": BASE_MS, "update": update}
        return dumps({**document, **fields}).encode()

    return {
        "base64": (None, "not valid base64"),
        "utf8": (b'{"title": "stats\xff"}', "not valid UTF-8"),
        "json": (b'{"title": "stats", "user": ', "not valid JSON"),
        "nan": (b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":NaN}}', "NaN"),
        "1e400": (
            b'{"title":"stats","user":"bill","type":"tally","entries":{"xp":1e400}}',
            "38 significant digits",
        ),
        "entries-101": (
            envelope(update={**update, "entries": {f"k{n}": 1 for n in range(101)}}),
            "at most 100",
        ),
        "entries-empty": (envelope(update={**update, "entries": {}}), "at least 1"),
        "rank-zero": (envelope(update={**update, "type": "rank", "entries": {"xp": 0}}), "positive integer"),
        "unknown-field": (envelope(update={**update, "colour": "red"}), "Extra inputs"),
        "control": (envelope(update={**update, "user": "bi\u0007ll"}), "control characters"),
        "future": (envelope(timestamp=ARRIVAL_MS + 6 * 60_000), "more than 5 minutes after"),
        "duplicate-key": (
            b'{"id":"poison","type":"list-update-submitted","timestamp":%d,"update":{"title":"stats",'
            b'"user":"bill","user":"beth","type":"tally","entries":{"xp":1}}}' % BASE_MS,
            "duplicate key",
        ),
    }


POISON = _poison_documents()


@dataclass(frozen=True)
class Change:
    """A change as the model sees it."""

    kind: str
    """tally, rank, delete, or conflict (a submission of the title's other type)."""
    title: str
    user: str
    entries: dict[str, Decimal]
    at: int
    """Generation order, which is timestamp order."""


@dataclass(frozen=True)
class Sent:
    record: dict[str, Any]
    lane: int
    sequence: str
    ref: tuple[str, str, str] | None
    """(title, user, id) of a change; None for a poison record."""
    change: Change | None
    poison: str | None = None
    """The phrase a poison record's fault reason must contain."""


@dataclass
class Ports:
    """The store, archive and stream a run uses, and how to read back what they hold."""

    store: ListStore
    archive: ChangeArchive
    stream: Stream
    published: Callable[[], list[dict[str, Any]]]
    """The fault events this run put on the stream."""
    close_archive: Callable[[], None] | None = None
    before_check: Callable[[], None] = lambda: None
    """Runs once the lanes drained, before the end state is read (a connection the fault layer
    closed after the last statement is found dead there, not in the checks' own reads)."""


@dataclass
class Figures:
    """What the runs did, summed over every example (docs/reliability.md)."""

    examples: int = 0
    records: int = 0
    deliveries: int = 0
    redelivered: int = 0
    """Records delivered more than once (retries, replays, concurrent re-plans not counted)."""
    duplicates: int = 0
    """Records carrying an id their user list had already seen."""
    poison: int = 0
    conflicts: int = 0
    concurrent: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    double_counted: int = 0
    stuck_lanes: int = 0

    def line(self) -> str:
        return (
            f"examples={self.examples} records={self.records} deliveries={self.deliveries} "
            f"redelivered={self.redelivered} duplicates={self.duplicates} poison={self.poison} "
            f"conflicts={self.conflicts} concurrent={self.concurrent} "
            f"faults={sum(self.faults.values())} {dict(sorted(self.faults.items()))} "
            f"lost={self.lost} double_counted={self.double_counted} stuck_lanes={self.stuck_lanes}"
        )


def phases() -> tuple[Phase, ...]:
    """Every phase; without shrinking when LISTMGR_PROOF_SHRINK=0 (mutation testing: a failure
    found is all that counts, and shrinking a stateful run takes minutes)."""
    if os.environ.get("LISTMGR_PROOF_SHRINK") == "0":
        return tuple(phase for phase in Phase if phase is not Phase.shrink)
    return tuple(Phase)


def examples(small: int, full: int) -> int:
    """`small` in `make test`; `full` with LISTMGR_PROOF=full (make proof-full)."""
    return full if os.environ.get("LISTMGR_PROOF") == "full" else small


def proof_settings(runs: tuple[int, int], steps: tuple[int, int], *suppressed: HealthCheck) -> settings:
    """The proof's settings: `runs` examples of `steps` steps each, as (`make test`, `make
    proof-full`) pairs, no deadline, and the health checks a slow stateful run trips."""
    return settings(
        max_examples=examples(*runs),
        stateful_step_count=examples(*steps),
        deadline=None,
        phases=phases(),
        suppress_health_check=[HealthCheck.too_slow, *suppressed],
    )


starts_a_run = initialize(
    seed=st.integers(0, 2**32 - 1),
    rate=st.sampled_from([0.0, 0.05, 0.15, 0.3]),
    stream_rate=st.sampled_from([None, None, 0.6]),
)
"""The initialize rule of a run: draws the faults' seed, their rate over the ports and the
stream's own (a subclass that starts with more decorates its own `start` with it)."""


class ListenerMachine(RuleBasedStateMachine):
    """Subclasses give `ports()`; `figures` collects what every run did."""

    figures = Figures()
    shard_prefix = "shardId-"

    def ports(self) -> Ports:
        raise NotImplementedError

    @starts_a_run
    def start(self, seed: int, rate: float, stream_rate: float | None) -> None:
        self.faults = Faults(seed, rate, {} if stream_rate is None else {"stream.": stream_rate})
        self.wired = self.ports()
        self.store = FaultyStore(self.wired.store, self.faults)
        self.archive = FaultyArchive(self.wired.archive, self.faults, self.wired.close_archive)
        # The listener's pipeline on the faulty ports, with no real sleeps.
        ports = bootstrap.Ports(
            store=self.store,
            archive=self.archive,
            stream=FaultyStream(self.wired.stream, self.faults),
            clock=lambda: ARRIVAL_MS,
            sleep=lambda _: None,
        )
        self.step: Step = listener(ports, TAGS)
        self.lanes: list[list[Sent]] = [[], []]
        self.positions = [0, 0]
        self.delivered: Counter[str] = Counter()
        self.count = 0
        self.tally_lane: dict[tuple[str, str], int] = {}
        self.ids: dict[tuple[str, str], list[str]] = {}
        """(title, user) -> the ids sent for it, in order."""
        self.deliveries = self.concurrent_runs = 0
        # Anchors first, delivered before anything else: each title's type is fixed.
        for title in TALLY_TITLES + RANK_TITLES:
            kind = "tally" if title in TALLY_TITLES else "rank"
            self._send(Change(kind, title, ANCHOR, {"xp": Decimal(1)}, self._tick()), lane=0)
        enabled, self.faults.enabled = self.faults.enabled, False
        self._drain_lane(0)
        self.faults.enabled = enabled

    # -- sending -----------------------------------------------------------------------------------

    def _tick(self) -> int:
        self.count += 1
        return self.count

    def _shard(self, lane: int) -> str:
        return f"{self.shard_prefix}{lane:012d}"

    def _send(
        self,
        change: Change,
        lane: int,
        event_id: str | None = None,
        kind_sent: str | None = None,
        entries_sent: dict[str, Decimal] | None = None,
    ) -> None:
        """Puts `change` on `lane` under `event_id` (a fresh one by default). `kind_sent` and
        `entries_sent` put other content under a reused id: the model keeps the first content."""
        event_id = event_id or f"e{change.at}#{change.user[:3]}|"
        kind = kind_sent or change.kind
        entries = change.entries if entries_sent is None else entries_sent
        if kind == "delete":
            document: dict[str, Any] = {
                "id": event_id,
                "type": "list-delete-submitted",
                "timestamp": BASE_MS + change.at,
                "update": {"title": change.title, "user": change.user},
            }
        else:
            list_type = kind if kind in ("tally", "rank") else self._other_type(change.title)
            document = {
                "id": event_id,
                "type": "list-update-submitted",
                "timestamp": BASE_MS + change.at,
                "update": {"title": change.title, "user": change.user, "type": list_type, "entries": entries},
            }
        self._put(dumps(document).encode(), lane, (change.title, change.user, event_id), change)
        self.ids.setdefault((change.title, change.user), []).append(event_id)

    def _put(
        self,
        data: bytes | None,
        lane: int,
        ref: tuple[str, str, str] | None,
        change: Change | None,
        poison: str | None = None,
    ) -> None:
        sequence = len(self.lanes[lane]) + 1
        record = kinesis_record(
            data or b"",
            sequence,
            partition_key=f"pk-{sequence % 7}",
            shard=self._shard(lane),
            arrival=ARRIVAL,
        )
        if data is None:
            record["kinesis"]["data"] = "not*base64!"
        self.lanes[lane].append(Sent(record, lane, str(sequence), ref, change, poison))

    def _other_type(self, title: str) -> str:
        return "rank" if title in TALLY_TITLES else "tally"

    def _lane_of_tally(self, title: str, user: str, drawn: int) -> int:
        # A tally list's changes stay in one lane: additions and deletes of one list under
        # different partition keys have no order to recover (DESIGN.md).
        return self.tally_lane.setdefault((title, user), drawn)

    @rule(
        title=tally_titles,
        user=users,
        entries=tally_entries,
        lane=st.integers(0, 1),
        reuse=st.booleans(),
    )
    def tally(self, title: str, user: str, entries: dict[str, Decimal], lane: int, reuse: bool) -> None:
        change = Change("tally", title, user, entries, self._tick())
        self._send(
            change, self._lane_of_tally(title, user, lane), self._foreign_id(title, user) if reuse else None
        )

    @rule(
        title=rank_titles,
        user=users,
        entries=rank_entries,
        lane=st.integers(0, 1),
        reuse=st.booleans(),
    )
    def rank(self, title: str, user: str, entries: dict[str, int], lane: int, reuse: bool) -> None:
        exact = {key: Decimal(value) for key, value in entries.items()}
        change = Change("rank", title, user, exact, self._tick())
        self._send(change, lane, self._foreign_id(title, user) if reuse else None)

    @rule(title=tally_titles | rank_titles, user=users, lane=st.integers(0, 1))
    def delete(self, title: str, user: str, lane: int) -> None:
        change = Change("delete", title, user, {}, self._tick())
        if title in TALLY_TITLES:
            lane = self._lane_of_tally(title, user, lane)
        self._send(change, lane)

    @rule(title=st.sampled_from(TALLY_TITLES + RANK_TITLES), lane=st.integers(0, 1), flood=st.integers(1, 8))
    def conflicts(self, title: str, lane: int, flood: int) -> None:
        """A flood of wrong-type submissions: each rejected, remembered, and published as a fault."""
        for _ in range(flood):
            self._send(Change("conflict", title, ANCHOR, {"xp": Decimal(2)}, self._tick()), lane)

    @rule(kinds=st.lists(st.sampled_from(sorted(POISON)), min_size=1, max_size=6), lane=st.integers(0, 1))
    def poison(self, kinds: list[str], lane: int) -> None:
        for kind in kinds:
            data, reason = POISON[kind]
            self._put(data, lane, None, None, poison=reason)

    @precondition(lambda self: any(sent.ref for lane in self.lanes for sent in lane))
    @rule(data=st.data(), other_content=st.booleans())
    def resend(self, data: st.DataObject, other_content: bool) -> None:
        """An id sent again for its own user list, later in the same lane: the same event
        re-submitted, or (`other_content`) another body under that id. Either is a duplicate."""
        sent = data.draw(st.sampled_from([s for lane in self.lanes for s in lane if s.ref and s.change]))
        assert sent.ref is not None and sent.change is not None
        if not other_content:
            self._put(base64.b64decode(sent.record["kinesis"]["data"]), sent.lane, sent.ref, sent.change)
            return
        other = "delete" if sent.change.kind != "delete" else self._type_of(sent.change.title)
        self._send(sent.change, sent.lane, sent.ref[2], kind_sent=other, entries_sent={"xp": Decimal(3)})

    def _type_of(self, title: str) -> str:
        return "tally" if title in TALLY_TITLES else "rank"

    def _foreign_id(self, title: str, user: str) -> str | None:
        """An id another user list already used and this one never did: another change."""
        own = set(self.ids.get((title, user), ()))
        for ref, ids in sorted(self.ids.items()):
            if ref != (title, user):
                for event_id in ids:
                    if event_id not in own:
                        return event_id
        return None

    # -- delivering -------------------------------------------------------------------------------

    def _deliver(self, lane: int, size: int, again: bool = False) -> bool:
        """One invocation on the next `size` records of `lane`, as an event source mapping makes
        it; the lane moves on past what succeeded (unless `again`: the batch comes again whole, as
        after a timeout). Returns whether any record was delivered."""
        position = self.positions[lane]
        batch = self.lanes[lane][position : position + size]
        if not batch:
            return False
        self.deliveries += 1
        for sent in batch:
            self.delivered[f"{lane}:{sent.sequence}"] += 1
        units = self.step([kinesis_unit(sent.record) for sent in batch])
        failures = batch_response(units)["batchItemFailures"]
        if failures:
            sequences = [sent.sequence for sent in batch]
            self.positions[lane] = position + sequences.index(failures[0]["itemIdentifier"])
        elif not again:
            self.positions[lane] = position + len(batch)
        return True

    @rule(lane=st.integers(0, 1), size=st.integers(1, 12), again=st.booleans())
    def deliver(self, lane: int, size: int, again: bool) -> None:
        self._deliver(lane, size, again)

    @rule(lane=st.integers(0, 1), back=st.integers(1, 20))
    def replay(self, lane: int, back: int) -> None:
        """The shard read again from an earlier position (a restarted mapping, a replay)."""
        self.positions[lane] = max(0, self.positions[lane] - back)

    @rule(first=st.integers(1, 12), second=st.integers(1, 12))
    def concurrently(self, first: int, second: int) -> None:
        """Two batches at once (two shards, or a parallelization factor above 1): lane 1's batch
        loads, plans and commits between lane 0's load and commit, so lane 0's writes to the
        titles both touch are refused as stale and planned again."""
        self.concurrent_runs += 1
        self.store.before_next_commit = lambda: self._deliver(1, second)
        self._deliver(0, first)
        if self.store.before_next_commit is not None:
            # Lane 0 had nothing to commit: lane 1's batch runs anyway.
            self.store.before_next_commit = None
            self._deliver(1, second)

    @invariant()
    def delivered_in_order(self) -> None:
        # Records before a lane's position were delivered; a lane never skips one.
        for lane, records in enumerate(self.lanes):
            for sent in records[: self.positions[lane]]:
                assert self.delivered[f"{lane}:{sent.sequence}"] >= 1

    def _drain_lane(self, lane: int) -> None:
        """Delivers what is left of `lane` until it is all through; with faults on, a cause that
        may pass may fail a batch, so it takes as many deliveries as the seed makes it."""
        budget = 50 + 20 * len(self.lanes[lane])
        while self.positions[lane] < len(self.lanes[lane]) and budget:
            self._deliver(lane, 1 + self.faults.random.randrange(12))
            budget -= 1

    # -- the end: drain, then compare with the model ------------------------------------------------

    def teardown(self) -> None:
        if not hasattr(self, "faults"):
            return
        for lane in (0, 1):
            self._drain_lane(lane)
        # Then with the causes that may pass gone: whatever is left must go through now.
        self.faults.enabled = False
        for lane in (0, 1):
            self._drain_lane(lane)
        stuck = [lane for lane in (0, 1) if self.positions[lane] < len(self.lanes[lane])]
        figures = type(self).figures
        figures.stuck_lanes += len(stuck)
        assert not stuck, f"lanes {stuck} did not drain"
        self._check()
        self._count(figures)

    def _effective(self) -> dict[tuple[str, str, str], Sent]:
        """The first record of each (title, user, id): the one that decides the change (a reused
        id is always sent later in the same lane, so first sent is first delivered)."""
        first: dict[tuple[str, str, str], Sent] = {}
        for sent in sorted(
            (s for lane in self.lanes for s in lane), key=lambda s: s.change.at if s.change else 0
        ):
            if sent.ref is not None and sent.ref not in first:
                first[sent.ref] = sent
        return first

    def _model(
        self, effective: dict[tuple[str, str, str], Sent]
    ) -> dict[tuple[str, str], dict[str, Decimal]]:
        lists: dict[tuple[str, str], dict[str, Decimal]] = {}
        newest: dict[tuple[str, str], Change] = {}
        changes = sorted((sent.change for sent in effective.values() if sent.change), key=lambda c: c.at)
        for change in changes:
            key = (change.title, change.user)
            if change.kind == "conflict":
                continue
            if change.title in RANK_TITLES:
                newest[key] = change  # last writer wins, by timestamp, whatever the lane
            elif change.kind == "delete":
                lists.pop(key, None)
            else:
                current = lists.setdefault(key, {})
                for entry, value in change.entries.items():
                    current[entry] = current.get(entry, Decimal(0)) + value
        for key, change in newest.items():
            if change.kind == "rank":
                lists[key] = dict(change.entries)
        return lists

    def _check(self) -> None:
        self.wired.before_check()
        effective = self._effective()
        model = self._model(effective)
        store = self.wired.store
        # Every user list and aggregate is the model's.
        for title in TALLY_TITLES + RANK_TITLES:
            members = {user: entries for (t, user), entries in model.items() if t == title}
            for user in (*USERS, ANCHOR):
                found = store.user_list(title, user)
                assert (dict(found.entries) if found else None) == members.get(user), (title, user)
            aggregate = store.aggregate(title)
            assert aggregate is not None, title  # the anchor never leaves
            sums: dict[str, Decimal] = {}
            counts: Counter[str] = Counter()
            for entries in members.values():
                for entry, value in entries.items():
                    sums[entry] = sums.get(entry, Decimal(0)) + value
                    counts[entry] += 1
            assert (dict(aggregate.sums), dict(aggregate.counts), aggregate.users) == (
                sums,
                dict(counts),
                len(members),
            ), title
            if title in RANK_TITLES:
                ranking = sorted(sums, key=lambda k: (Fraction(sums[k]) / counts[k], -counts[k], k))
                assert aggregate_entity(aggregate)["ranking"] == ranking, title
        # Every change has one outcome; the archive holds exactly the applied ones, once each.
        archived = {row.key: row for row in self.wired.archive.in_order()}
        applied = set()
        for ref, sent in effective.items():
            assert sent.change is not None
            outcome = store.change(*ref)
            assert outcome is not None, f"no outcome remembered for {ref}"
            if sent.change.kind == "conflict":
                assert outcome.status == "rejected" and "type conflict" in outcome.reason, (ref, outcome)
            elif sent.change.title in TALLY_TITLES:
                assert outcome.status == "applied", (ref, outcome)
            else:
                assert outcome.status in ("applied", "superseded"), (ref, outcome)
            if outcome.status == "applied":
                applied.add(ref)
        # Counted before they are asserted, so a failing run's figures say how far off it was.
        figures = type(self).figures
        figures.lost += len(applied - set(archived))
        figures.double_counted += len(set(archived) - applied)
        assert set(archived) == applied, (
            f"archived but not applied: {sorted(set(archived) - applied)}; "
            f"applied but not archived: {sorted(applied - set(archived))}"
        )
        for ref in applied:
            change = effective[ref].change
            assert change is not None
            row = archived[ref]
            expected_entries = None if change.kind == "delete" else change.entries
            assert (loads(row.entries) if row.entries else None) == expected_entries, ref
        # The newest rank change of every rank list was applied (it decides the list).
        # Every poison record, and every record of a rejected change, was published as a fault
        # with its reason; no other record was.
        expected_faults: dict[str, str] = {}
        for lane in self.lanes:
            for sent in lane:
                if sent.poison is not None:
                    expected_faults[fault_id(kinesis_unit(sent.record))] = sent.poison
                elif sent.ref and (first := effective[sent.ref].change) and first.kind == "conflict":
                    expected_faults[fault_id(kinesis_unit(sent.record))] = "type conflict"
        published: dict[str, str] = {}
        for event in self.wired.published():
            assert event["type"] == FAULT
            published[event["id"]] = event["fault"]["reason"]
        assert set(published) == set(expected_faults), (
            f"faults missing: {sorted(set(expected_faults) - set(published))}; "
            f"unexpected: {[published[i] for i in sorted(set(published) - set(expected_faults))]}"
        )
        for event_id, phrase in expected_faults.items():
            assert phrase in published[event_id], (phrase, published[event_id])
        # Nothing is lost: the archive rebuilds the live store exactly.
        assert verify(self.wired.archive, store, ARRIVAL_MS, DEDUP) == []

    def _count(self, figures: Figures) -> None:
        sent = [s for lane in self.lanes for s in lane]
        figures.examples += 1
        figures.records += len(sent)
        figures.deliveries += self.deliveries
        figures.redelivered += sum(1 for times in self.delivered.values() if times > 1)
        seen: set[tuple[str, str, str]] = set()
        for record in sorted(sent, key=lambda s: s.change.at if s.change else 0):
            if record.ref in seen:
                figures.duplicates += 1
            if record.ref:
                seen.add(record.ref)
        figures.poison += sum(1 for s in sent if s.poison)
        figures.conflicts += sum(1 for s in sent if s.change and s.change.kind == "conflict")
        figures.concurrent += self.concurrent_runs
        figures.faults.update(self.faults.injected)

"""The stateful proof (tests/faults/machine.py) with hot user lists: the same machine, faults and
end checks on moto, plus bursts of changes to one user list, so lists pass their item's room and
move outcomes out to change items while the machine's redeliveries, replays, re-submissions and
concurrent batches go on. The base machine moves out only the anchors' rejections (a flood of
type conflicts); here any list does, and every id sent is re-sent or replayed at some point. The
run counts the change items it made and fails if it made none, so it cannot silently stop
exercising what it is for."""

from decimal import Decimal

from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from shared.adapters.dynamodb import DynamoListStore, layout
from shared.adapters.sql_archive import Archive
from tests.faults.machine import (
    RANK_TITLES,
    TALLY_TITLES,
    USERS,
    Change,
    Figures,
    proof_settings,
    starts_a_run,
    users,
)
from tests.integration.test_stateful_moto import OnMoto
from tests.support.aws import Deployed

PAST_THE_ROOM = 60
"""Changes of one user list in a row that outgrow its item's room (about 30 outcomes) twice."""


class HotLists(OnMoto):
    figures = Figures()
    change_items = 0
    """Change items (outcomes moved out) the runs left, summed over every example."""

    @starts_a_run
    def start(self, seed: int, rate: float, stream_rate: float | None) -> None:
        """As the base machine starts, then one burst past an item's room, so every example moves
        outcomes out whatever rules it draws after."""
        super().start(seed, rate, stream_rate)
        self.burst(TALLY_TITLES[0], USERS[0], PAST_THE_ROOM, lane=0)

    @rule(
        title=st.sampled_from(TALLY_TITLES[:2] + RANK_TITLES[:2]),
        user=users,
        count=st.integers(20, 70),
        lane=st.integers(0, 1),
    )
    def burst(self, title: str, user: str, count: int, lane: int) -> None:
        """`count` changes of one user list in a row: past its item's room (about 30 outcomes)."""
        for n in range(count):
            if title in TALLY_TITLES:
                change = Change("tally", title, user, {"xp": Decimal(1 + n % 3)}, self._tick())
                self._send(change, self._lane_of_tally(title, user, lane))
            else:
                change = Change("rank", title, user, {"xp": Decimal(1 + n % 5)}, self._tick())
                self._send(change, (lane + n) % 2)

    def _check(self) -> None:
        super()._check()
        store = self.wired.store
        assert isinstance(store, DynamoListStore)
        moved_out = sum(1 for item in store.scan() if item.get("kind") == layout.CHANGE)
        assert moved_out > 0, "the opening burst moved no outcome out"
        type(self).change_items += moved_out


def test_the_guarantees_hold_for_lists_that_move_outcomes_out(deployed: Deployed, archive: Archive) -> None:
    HotLists.deployed, HotLists.real_archive = deployed, archive
    HotLists.figures, HotLists.change_items = Figures(), 0
    run_state_machine_as_test(
        HotLists,
        settings=proof_settings((4, 30), (12, 30), HealthCheck.function_scoped_fixture),
    )
    print(
        f"\nstateful with hot lists, moto + {archive.dialect.name}: {HotLists.figures.line()} "
        f"change_items={HotLists.change_items}"
    )
    assert HotLists.change_items > 0, "no outcome moved out: the runs did not exercise what they are for"

"""Group commit: concurrent callers share batches, each gets its own outcome, batches in flight are bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from linemod.framework.queue.group_commit import GroupCommit


class Recorder:
    """A batch write that records its batches; items named "bad" fail alone, "crash" fails the batch."""

    def __init__(self, *, hold: asyncio.Event | None = None) -> None:
        self.batches: list[list[str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.hold = hold

    async def write(self, items: list[str]) -> Sequence[BaseException | None]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hold is not None:
                await self.hold.wait()
            await asyncio.sleep(0.005)  # a commit takes time: callers arriving meanwhile form the next batch
            if "crash" in items:
                raise ConnectionError("database went away")
            self.batches.append(items)
            return [ValueError(f"{item} refused") if item == "bad" else None for item in items]
        finally:
            self.in_flight -= 1


async def test_concurrent_callers_share_batches_and_every_item_is_written_once() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, name="test")
    commits.start()
    try:
        await asyncio.gather(*(commits.submit(f"item{i}") for i in range(60)))
    finally:
        await commits.stop()
    written = [item for batch in recorder.batches for item in batch]
    assert sorted(written) == sorted(f"item{i}" for i in range(60))
    assert len(recorder.batches) < 60 / 4  # batched, not one write per caller


async def test_an_item_refused_alone_fails_only_its_caller() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, name="test")
    commits.start()
    try:
        outcomes = await asyncio.gather(
            commits.submit("good1"), commits.submit("bad"), commits.submit("good2"), return_exceptions=True
        )
    finally:
        await commits.stop()
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError) and "bad refused" in str(outcomes[1])


async def test_a_failed_write_fails_its_whole_batch_and_the_next_batch_still_works() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, name="test")
    commits.start()
    try:
        outcomes = await asyncio.gather(commits.submit("a"), commits.submit("crash"), return_exceptions=True)
        assert all(isinstance(o, ConnectionError) for o in outcomes)
        await commits.submit("after")
    finally:
        await commits.stop()
    assert recorder.batches == [["after"]]


@pytest.mark.parametrize("limit", [1, 3])
async def test_no_more_than_max_in_flight_batches_are_written_at_once(limit: int) -> None:
    hold = asyncio.Event()
    recorder = Recorder(hold=hold)
    commits = GroupCommit(recorder.write, name="test", max_in_flight=limit)
    commits.start()
    try:
        callers = []
        for i in range(8):
            callers.append(asyncio.create_task(commits.submit(f"item{i}")))
            await asyncio.sleep(0.01)  # each arrives while the earlier batches are held
        assert recorder.in_flight == limit
        hold.set()
        await asyncio.gather(*callers)
    finally:
        await commits.stop()
    assert recorder.most_in_flight == limit
    assert sum(len(b) for b in recorder.batches) == 8


async def test_before_start_an_item_is_written_alone() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, name="test")
    await commits.submit("one")
    with pytest.raises(ValueError):
        await commits.submit("bad")
    assert recorder.batches == [["one"], ["bad"]]


async def test_stop_lets_the_batch_being_written_finish() -> None:
    hold = asyncio.Event()
    recorder = Recorder(hold=hold)
    commits = GroupCommit(recorder.write, name="test")
    commits.start()
    caller = asyncio.create_task(commits.submit("in flight"))
    await asyncio.sleep(0.02)
    stopping = asyncio.create_task(commits.stop())
    await asyncio.sleep(0.02)
    assert not stopping.done()
    hold.set()
    await stopping
    await caller  # committed, not cancelled
    assert recorder.batches == [["in flight"]]


async def test_a_caller_that_gave_up_before_its_batch_started_is_left_out_of_it() -> None:
    hold = asyncio.Event()
    recorder = Recorder(hold=hold)
    commits = GroupCommit(recorder.write, name="test")
    commits.start()
    try:
        first = asyncio.create_task(commits.submit("first"))
        await asyncio.sleep(0.02)  # its batch is being written (held)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(commits.submit("gave up"), timeout=0.02)  # waiting for the next batch
        kept = asyncio.create_task(commits.submit("kept"))
        hold.set()
        await asyncio.gather(first, kept)
    finally:
        await commits.stop()
    assert recorder.batches == [["first"], ["kept"]]

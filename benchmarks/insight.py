"""What recording deliveries costs a push, and what the insight answers cost, in process (no HTTP).

For `rounds` rounds, each on a fresh platform with `friends` friends: `pushes` pushes outside a recording (the
reference: what a push cost before deliveries were recorded) and inside one (what a push costs now); then one
broadcast to every friend with every friend opening it, and the insight answers computed from it. Figures are
ratios against the reference push measured in the same round (the machine is shared), medians and ranges, and a
PNG plot next to this file.

    python benchmarks/insight.py [--rounds 5] [--friends 2000] [--pushes 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from linemod.emulator.platform.commands import NewAccount, NewPerson, NewPrimaryChannel
from linemod.emulator.platform.world import Caller, Platform

TEXT = {"type": "text", "text": "hello"}


def world(friends: int) -> tuple[Platform, Caller, list[str]]:
    platform = Platform()
    platform.settings.rate_limits = False
    account = platform.setup.create_account(NewAccount(display_name="Bench", primary_channel=NewPrimaryChannel()))
    primary = platform.primary_of(account)
    assert primary is not None
    caller = Caller(primary, account)
    seen = []
    for index in range(friends):
        person = platform.setup.create_person(NewPerson(display_name=f"p{index}"))
        person.gender, person.age, person.area = ("male", "female")[index % 2], 20 + index % 50, "jp_13"
        platform.users.follow(account.bot_id, person.user_id)
        seen.append(platform.seen_id(primary, account.bot_id, person.user_id))
    return platform, caller, seen


def per_call_us(action: object, count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        action(index)  # type: ignore[operator]
    return (time.perf_counter() - started) / count * 1e6


def one_round(args: argparse.Namespace) -> dict[str, float]:
    platform, caller, seen = world(args.friends)
    account = caller.require_account()

    def plain(index: int) -> None:
        platform.messaging.push(caller, {"to": seen[index % len(seen)], "messages": [TEXT]})

    def recorded(index: int) -> None:
        with platform.stats.recording("push", f"push-{index}", account.bot_id):
            platform.messaging.push(caller, {"to": seen[index % len(seen)], "messages": [TEXT]})

    # The reference is measured before and after, so a warming process favours neither side.
    before = per_call_us(plain, args.pushes)
    with_recording = per_call_us(recorded, args.pushes)
    reference = (before + per_call_us(plain, args.pushes)) / 2
    figures = {"push, recorded": with_recording / reference}
    with platform.stats.recording("broadcast", "big", account.bot_id):
        platform.messaging.broadcast(caller, {"messages": [TEXT]})
    started = time.perf_counter()
    for person in account.friends:
        platform.stats.open_chat(account.bot_id, person)
    figures["a user opening the chat"] = (time.perf_counter() - started) / args.friends * 1e6 / reference
    for name, call in (("message event", lambda _: platform.insight.message_event(account, "big")),
                       ("demographic", lambda _: platform.insight.demographic(account)),
                       ("followers", lambda _: platform.insight.followers(account, None))):
        figures[name] = per_call_us(call, 5) / reference
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--friends", type=int, default=2000)
    parser.add_argument("--pushes", type=int, default=2000)
    args = parser.parse_args()
    rounds = [one_round(args) for _ in range(args.rounds)]
    print(f"{args.friends} friends, {args.pushes} pushes, {args.rounds} rounds; "
          "each figure is a ratio to one unrecorded push in the same round")
    names = list(rounds[0])
    for name in names:
        values = [r[name] for r in rounds]
        print(f"  {name:28s} median {statistics.median(values):9.2f}x   range {min(values):.2f}-{max(values):.2f}x")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4))
    axes.boxplot([[r[name] for r in rounds] for name in names], tick_labels=names)
    axes.set_yscale("log")
    axes.tick_params(axis="x", labelrotation=20)
    axes.set_ylabel("× one unrecorded push (same round)")
    axes.set_title(f"Insight costs, {args.friends} friends")
    figure.tight_layout()
    out = Path(__file__).with_name("insight.png")
    figure.savefig(out, dpi=100)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()

"""The attachments kept by (channel, OA) and by OA (platform/attachments.py): the by-OA answer must stay the
same as filtering every attachment, through attach, re-attach, detach and a snapshot's import."""

from __future__ import annotations

from linemod.emulator.platform.attachments import Attachments
from linemod.emulator.platform.entities import Attachment


def by_filtering(attachments: Attachments, bot_id: str) -> list[Attachment]:
    return [a for (_, bot), a in attachments.items() if bot == bot_id]


def test_the_index_by_oa_follows_every_change() -> None:
    attachments = Attachments()
    for channel, bot in [("c1", "b1"), ("c2", "b1"), ("c1", "b2"), ("c3", "b1")]:
        attachments[(channel, bot)] = Attachment(channel, bot, ["message:receive"], 0)
    assert [a.channel_id for a in attachments.of_account("b1")] == ["c1", "c2", "c3"]

    attachments[("c2", "b1")] = Attachment("c2", "b1", ["message:send"], 0)  # re-attach keeps its place
    assert attachments.of_account("b1") == by_filtering(attachments, "b1")
    assert attachments.of_account("b1")[1].scopes == ["message:send"]

    assert attachments.pop(("c1", "b1")).channel_id == "c1"
    assert attachments.pop(("c9", "b1"), None) is None
    assert [a.channel_id for a in attachments.of_account("b1")] == ["c2", "c3"]
    del attachments[("c1", "b2")]
    assert attachments.of_account("b2") == [] and ("c1", "b2") not in attachments
    assert len(attachments) == 2 and attachments.get(("c3", "b1")) is not None

    copied = Attachments(attachments.values())
    assert dict(copied) == dict(attachments)
    assert copied.of_account("b1") == by_filtering(copied, "b1")

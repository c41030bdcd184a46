"""Audience groups (manage-audience.yml): uploaded user IDs, click-based and impression-based audiences made
from a request's real clicks and opens, audiences shared with the OA, and the jobs that filled them
(choice 44 in docs/emulator-behaviour.md)."""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError, Detail, LineApiError, forbidden, invalid_property, validation_error

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

DESCRIPTION_MAX = 120
UPLOAD_MAX = 10_000
FILE_UPLOAD_MAX = 1_500_000
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 40
INT64_MAX = 2**63 - 1
KEEP_SECONDS = 180 * 86_400  # an audience expires 180 days after it is made
STATUSES = ("IN_PROGRESS", "READY", "FAILED", "EXPIRED", "INACTIVE", "ACTIVATING")
CREATE_ROUTES = ("OA_MANAGER", "MESSAGING_API", "POINT_AD", "AD_MANAGER")


@dataclass
class AudienceJob:
    audience_group_job_id: int
    description: str | None
    audience_count: int
    created: int

    def public(self, group_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {"audienceGroupJobId": self.audience_group_job_id, "audienceGroupId": group_id,
                               "type": "DIFF_ADD", "jobStatus": "FINISHED", "audienceCount": self.audience_count,
                               "created": self.created}
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass
class AudienceGroup:
    audience_group_id: int
    bot_id: str
    channel_id: str | None  # the channel that made it; None for one made in OA Manager or shared
    type: str
    description: str
    created: int  # UNIX seconds
    members: list[str] = field(default_factory=list)  # people, by their global IDs
    request_id: str | None = None
    click_url: str | None = None
    is_ifa_audience: bool = False
    create_route: str = "MESSAGING_API"
    permission: str = "READ_WRITE"
    owner_name: str | None = None  # set for an audience shared with the OA by a Business Manager owner
    jobs: list[AudienceJob] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "READY"  # every job finishes as it is accepted (choice 44)

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "audienceGroupId": self.audience_group_id, "createRoute": self.create_route, "type": self.type,
            "description": self.description, "status": self.status, "audienceCount": len(self.members),
            "created": self.created, "permission": self.permission, "isIfaAudience": self.is_ifa_audience,
            "expireTimestamp": self.created + KEEP_SECONDS,
        }
        if self.request_id is not None:
            out["requestId"] = self.request_id
        if self.click_url is not None:
            out["clickUrl"] = self.click_url
        return out


class AudienceArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.groups: dict[int, AudienceGroup] = {}
        self._ids = itertools.count(random.randint(1_000_000_000_000, 8_000_000_000_000))
        self._job_ids = itertools.count(random.randint(10_000_000, 90_000_000))

    # ---- lookups ------------------------------------------------------------------------------

    def find(self, bot_id: str, group_id: int) -> AudienceGroup | None:
        group = self.groups.get(group_id)
        return group if group is not None and group.bot_id == bot_id else None

    def _own(self, caller: Caller, group_id: Any, *, writable: bool = False) -> AudienceGroup:
        group = self.find(caller.require_account().bot_id, group_id) if isinstance(group_id, int) else None
        if group is None:
            raise LineApiError(400, "audience group not found", [Detail("AUDIENCE_GROUP_NOT_FOUND")])
        if writable and group.permission != "READ_WRITE":
            raise forbidden()
        return group

    # ---- making audiences ---------------------------------------------------------------------

    def _description(self, value: Any, prop: str = "description") -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > DESCRIPTION_MAX:
            raise validation_error([Detail(f"size must be between 1 and {DESCRIPTION_MAX}", prop)])
        return value

    def _new(self, caller: Caller, kind: str, description: str, **extra: Any) -> AudienceGroup:
        account = caller.require_account()
        group = AudienceGroup(next(self._ids), account.bot_id, caller.channel.channel_id, kind, description,
                              self.platform.clock.now_ms() // 1000, **extra)
        self.groups[group.audience_group_id] = group
        return group

    def _resolve(self, caller: Caller, seen_ids: list[str]) -> list[str]:
        """The people behind the uploaded IDs; IDs this channel cannot see count for nobody, as on LINE."""
        people = (self.platform.resolve_user(caller, seen) for seen in seen_ids)
        return [p for p in dict.fromkeys(people) if p is not None]

    def _add_job(self, caller: Caller, group: AudienceGroup, seen_ids: list[str], description: Any) -> None:
        if description is not None and not isinstance(description, str):
            raise invalid_property("uploadDescription")
        added = [p for p in self._resolve(caller, seen_ids) if p not in group.members]
        group.members.extend(added)
        group.jobs.append(AudienceJob(next(self._job_ids), description, len(added),
                                      self.platform.clock.now_ms() // 1000))

    @staticmethod
    def _audience_ids(body: dict[str, Any]) -> list[str]:
        audiences = body.get("audiences", [])
        if not isinstance(audiences, list) or len(audiences) > UPLOAD_MAX:
            raise validation_error([Detail(f"size must be between 0 and {UPLOAD_MAX}", "audiences")])
        out = []
        for index, item in enumerate(audiences):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise invalid_property(f"audiences[{index}].id")
            out.append(item["id"])
        return out

    def create_upload(self, caller: Caller, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid_property("body")
        description = self._description(body.get("description"))
        is_ifa = body.get("isIfaAudience", False)
        if not isinstance(is_ifa, bool):
            raise invalid_property("isIfaAudience")
        seen_ids = self._audience_ids(body)
        group = self._new(caller, "UPLOAD", description, is_ifa_audience=is_ifa)
        if seen_ids:
            self._add_job(caller, group, [] if is_ifa else seen_ids, body.get("uploadDescription"))
        return self._created(group)

    def create_upload_from_file(self, caller: Caller, description: Any, is_ifa: Any, upload_description: Any,
                                lines: list[str]) -> dict[str, Any]:
        group = self._new(caller, "UPLOAD", self._description(description), is_ifa_audience=bool(is_ifa))
        self._add_job(caller, group, [] if is_ifa else lines, upload_description)
        return self._created(group)

    def add(self, caller: Caller, body: Any) -> None:
        if not isinstance(body, dict):
            raise invalid_property("body")
        group = self._own(caller, body.get("audienceGroupId"), writable=True)
        if group.type != "UPLOAD":
            raise LineApiError(400, "Only an audience made by uploading user IDs can be added to")
        self._add_job(caller, group, [] if group.is_ifa_audience else self._audience_ids(body),
                      body.get("uploadDescription"))

    def add_from_file(self, caller: Caller, group_id: Any, upload_description: Any, lines: list[str]) -> None:
        group = self._own(caller, group_id, writable=True)
        if group.type != "UPLOAD":
            raise LineApiError(400, "Only an audience made by uploading user IDs can be added to")
        self._add_job(caller, group, [] if group.is_ifa_audience else lines, upload_description)

    def _source_request(self, caller: Caller, body: Any) -> tuple[dict[str, Any], str]:
        if not isinstance(body, dict):
            raise invalid_property("body")
        request_id = body.get("requestId")
        record = self.platform.stats.sends.get(request_id) if isinstance(request_id, str) else None
        # LINE makes these audiences from pushes, multicasts, broadcasts and narrowcasts (not replies or PNP).
        if record is None or record.bot_id != caller.require_account().bot_id or record.kind in ("reply", "pnp"):
            raise LineApiError(400, "The request ID is not one of a message this account sent",
                               [Detail("REQUEST_ID_NOT_FOUND", "requestId")])
        return body, record.request_id

    def create_click(self, caller: Caller, body: Any) -> dict[str, Any]:
        body, request_id = self._source_request(caller, body)
        description = self._description(body.get("description"))
        url = body.get("clickUrl")
        if url is not None and (not isinstance(url, str) or len(url) > 2000):
            raise invalid_property("clickUrl")
        clicked = [i.person for i in self.platform.stats.interactions_of({request_id})
                   if i.kind == "click" and (url is None or i.url == url)]
        group = self._new(caller, "CLICK", description, members=list(dict.fromkeys(clicked)),
                          request_id=request_id, click_url=url)
        return {**self._created(group), "requestId": request_id, **({"clickUrl": url} if url else {})}

    def create_imp(self, caller: Caller, body: Any) -> dict[str, Any]:
        body, request_id = self._source_request(caller, body)
        description = self._description(body.get("description"))
        opened = [i.person for i in self.platform.stats.interactions_of({request_id}) if i.kind == "impression"]
        group = self._new(caller, "IMP", description, members=list(dict.fromkeys(opened)), request_id=request_id)
        return {**self._created(group), "requestId": request_id}

    @staticmethod
    def _created(group: AudienceGroup) -> dict[str, Any]:
        public = group.public()
        return {key: public[key] for key in ("audienceGroupId", "createRoute", "type", "description", "created",
                                             "permission", "expireTimestamp", "isIfaAudience")}

    def create_by_operator(self, bot_id: str, description: str, people: list[str], shared_by: str | None
                           ) -> AudienceGroup:
        """The control API: an audience made in OA Manager, or shared by a Business Manager owner."""
        self.platform.account(bot_id)
        for person in people:
            self.platform.person(person)
        if not description.strip() or len(description) > DESCRIPTION_MAX:
            raise ControlError(400, f"description must be 1 to {DESCRIPTION_MAX} characters")
        group = AudienceGroup(next(self._ids), bot_id, None, "UPLOAD", description,
                              self.platform.clock.now_ms() // 1000, members=list(dict.fromkeys(people)),
                              create_route="OA_MANAGER", permission="READ", owner_name=shared_by)
        self.groups[group.audience_group_id] = group
        return group

    # ---- reading and changing -----------------------------------------------------------------

    def get(self, caller: Caller, group_id: int, *, shared: bool = False) -> dict[str, Any]:
        group = self._own(caller, group_id)
        if shared and group.owner_name is None:
            raise LineApiError(400, "audience group not found", [Detail("AUDIENCE_GROUP_NOT_FOUND")])
        out: dict[str, Any] = {"audienceGroup": group.public(),
                               "jobs": [job.public(group.audience_group_id) for job in group.jobs[-50:]]}
        if shared:
            out["owner"] = {"serviceType": "bm", "id": f"bm{group.audience_group_id}", "name": group.owner_name}
        return out

    def update_description(self, caller: Caller, group_id: int, body: Any) -> None:
        group = self._own(caller, group_id, writable=True)
        if not isinstance(body, dict):
            raise invalid_property("body")
        group.description = self._description(body.get("description"))

    def delete(self, caller: Caller, group_id: int) -> None:
        group = self._own(caller, group_id, writable=True)
        del self.groups[group.audience_group_id]

    def list_groups(self, caller: Caller, query: dict[str, str], *, shared: bool = False) -> dict[str, Any]:
        account = caller.require_account()
        page = _int_param(query, "page", None, minimum=1)
        size = _int_param(query, "size", PAGE_SIZE_DEFAULT, minimum=1, maximum=PAGE_SIZE_MAX)
        status, route = query.get("status"), query.get("createRoute")
        if status is not None and status not in STATUSES:
            raise invalid_property("status")
        if route is not None and route not in CREATE_ROUTES:
            raise invalid_property("createRoute")
        text = (query.get("description") or "").lower()
        if shared:
            with_owned = _bool_param(query, "includesOwnedAudienceGroups", False)
            candidates = [g for g in self.groups.values() if g.bot_id == account.bot_id
                          and (g.owner_name is not None or with_owned)]
        else:
            everywhere = _bool_param(query, "includesExternalPublicGroups", True)
            candidates = [g for g in self.groups.values() if g.bot_id == account.bot_id and g.owner_name is None
                          and (everywhere or g.channel_id == caller.channel.channel_id)]
        chosen = [g for g in candidates if text in g.description.lower() and (status is None or g.status == status)
                  and (route is None or g.create_route == route)]
        chosen.sort(key=lambda g: (-g.created, -g.audience_group_id))
        start = (page - 1) * size
        return {
            "audienceGroups": [g.public() for g in chosen[start:start + size]],
            "hasNextPage": start + size < len(chosen), "totalCount": len(chosen),
            "readWriteAudienceGroupTotalCount": sum(1 for g in chosen if g.permission == "READ_WRITE"),
            "page": page, "size": size,
        }

    # ---- snapshot -----------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {"groups": [asdict(g) for g in self.groups.values()]}

    def load(self, data: dict[str, Any]) -> None:
        self.groups = {}
        for raw in data.get("groups", []):
            jobs = [AudienceJob(**job) for job in raw.get("jobs", [])]
            group = AudienceGroup(**{**raw, "jobs": jobs})
            self.groups[group.audience_group_id] = group
        if self.groups:
            self._ids = itertools.count(max(self.groups) + 1)


def _int_param(query: dict[str, str], name: str, default: int | None, *, minimum: int,
               maximum: int | None = None) -> int:
    raw = query.get(name)
    if raw is None:
        if default is None:
            raise validation_error([Detail("must not be null", name)])
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_property(name) from None
    maximum = INT64_MAX if maximum is None else maximum
    if value < minimum or value > maximum:
        raise validation_error([Detail(f"must be between {minimum} and {maximum}", name)])
    return value


def _bool_param(query: dict[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid_property(name)
    return raw.lower() == "true"

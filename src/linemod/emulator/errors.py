"""The error answers of the emulated APIs, each in the shape its LINE API uses.

Route functions raise these; one exception handler per shape renders them, so the wording of an
error lives here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NOT_AVAILABLE = "Access to this API is not available for your account"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
INVALID_REPLY_TOKEN = "Invalid reply token"
MONTHLY_LIMIT = "You have reached your monthly limit."


@dataclass
class Detail:
    message: str
    property: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"message": self.message}
        if self.property is not None:
            out["property"] = self.property
        return out


@dataclass
class LineApiError(Exception):
    """An api.line.me error: `{"message", "details"?}` (details omitted when empty)."""

    status: int
    message: str
    details: list[Detail] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.details:
            out["details"] = [d.to_json() for d in self.details]
        out.update(self.extra)
        return out


def validation_error(details: list[Detail]) -> LineApiError:
    return LineApiError(400, f"The request body has {len(details)} error(s)", details)


def invalid_property(prop: str) -> LineApiError:
    return LineApiError(400, f"The property, {prop}, in the request body is invalid (line: -, column: -)")


def unauthorized(reason: str | None = None) -> LineApiError:
    if reason is None:
        return LineApiError(
            401, "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
        )
    return LineApiError(401, f"Authentication failed due to the following reason: {reason}")


def forbidden() -> LineApiError:
    return LineApiError(403, NOT_AVAILABLE)


def not_found(message: str = "Not found") -> LineApiError:
    return LineApiError(404, message)


@dataclass
class OAuthError(Exception):
    """An OAuth-style error `{"error", "error_description"?}` (token endpoints)."""

    status: int
    error: str
    description: str | None = None

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description is not None:
            out["error_description"] = self.description
        return out


@dataclass
class ControlError(Exception):
    """A control-API error: `{"message"}` with a 4xx status."""

    status: int
    message: str


@dataclass
class ConsentError(Exception):
    """An authorize request the consent screen refuses with an error page (no redirect)."""

    message: str


# Where pydantic says where an error is; the control API's messages name fields, not these.
_LOCATION_ROOTS = ("body", "query", "path")


def describe_validation(errors: Sequence[Mapping[str, Any]]) -> str:
    """One `{"message"}` line for pydantic's errors about a control-API body or query.

    The body as a whole gets plain words (missing, not JSON, not an object); each field error
    reads `field.path: what is wrong`, in the order pydantic found them.
    """
    parts: list[str] = []
    for error in errors:
        kind = str(error.get("type", ""))
        loc = [str(p) for p in error.get("loc", ())]
        at_root = len(loc) <= 1 and (not loc or loc[0] in _LOCATION_ROOTS)
        path = ".".join(loc[1:] if loc and loc[0] in _LOCATION_ROOTS else loc)
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if kind == "json_invalid":
            parts.append("the body is not valid JSON")
        elif kind == "missing" and at_root:
            parts.append("a JSON body is required")
        elif kind in ("model_type", "model_attributes_type", "dict_type", "dataclass_type") and at_root:
            parts.append("the body must be a JSON object")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            ctx = error.get("ctx") or {}
            tag = str(ctx.get("discriminator", "type")).strip("'")
            where = f"{path}.{tag}" if path else tag
            expected = ctx.get("expected_tags")
            parts.append(f"{where} must be one of {expected}" if expected else f"{where} is required")
        else:
            parts.append(f"{path}: {message}" if path else message)
    return "; ".join(parts) or "the body is invalid"

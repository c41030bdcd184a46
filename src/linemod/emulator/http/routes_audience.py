"""Audience groups (manage-audience.yml). The two file uploads are api-data.line.me's; the emulator serves
every host on one origin, so they sit here beside the JSON ones."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from linemod.emulator.errors import Detail, LineApiError, invalid_property, validation_error
from linemod.emulator.http.requests import json_body, line_caller, platform_of
from linemod.emulator.http.routing import LineRouter
from linemod.emulator.platform.audiences import FILE_UPLOAD_MAX

router = LineRouter()
AUDIENCE_SCOPE = "message:send"  # choice 4: audiences serve narrowcast
GROUP = "/v2/bot/audienceGroup"


def _group_id(raw: str) -> int:
    if not raw.lstrip("-").isdigit():
        raise invalid_property("audienceGroupId")
    return int(raw)


async def _upload(request: Request) -> tuple[dict[str, Any], list[str]]:
    """A multipart upload: its text fields, and the file's lines (one user ID each)."""
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise LineApiError(415, f"The content type, {request.headers.get('content-type', '')}, is not supported")
    try:
        form = await request.form()
    except (HTTPException, MultiPartException) as exc:  # Starlette's answer to a malformed multipart body
        detail = getattr(exc, "detail", None) or getattr(exc, "message", "")
        raise LineApiError(400, f"The request body could not be parsed as multipart/form-data: {detail}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise validation_error([Detail("must not be null", "file")])
    try:
        text = (await upload.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_property("file") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > FILE_UPLOAD_MAX:
        raise validation_error([Detail(f"at most {FILE_UPLOAD_MAX} lines", "file")])
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return fields, lines


def _flag(value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise invalid_property("isIfaAudience")
    return value.lower() == "true"


@router.post(f"{GROUP}/upload")
async def create_upload(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    body = await json_body(request)
    return JSONResponse(platform_of(request).audiences.create_upload(caller, body), status_code=202)


@router.put(f"{GROUP}/upload")
async def add_upload(request: Request) -> Response:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    body = await json_body(request)
    platform_of(request).audiences.add(caller, body)
    return JSONResponse({}, status_code=202)


@router.post(f"{GROUP}/upload/byFile")
async def create_upload_by_file(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    fields, lines = await _upload(request)
    created = platform_of(request).audiences.create_upload_from_file(
        caller, fields.get("description"), _flag(fields.get("isIfaAudience")), fields.get("uploadDescription"),
        lines)
    return JSONResponse(created, status_code=202)


@router.put(f"{GROUP}/upload/byFile")
async def add_upload_by_file(request: Request) -> Response:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    fields, lines = await _upload(request)
    group_id = fields.get("audienceGroupId")
    if group_id is None:
        raise validation_error([Detail("must not be null", "audienceGroupId")])
    platform_of(request).audiences.add_from_file(caller, _group_id(group_id), fields.get("uploadDescription"),
                                                 lines)
    return JSONResponse({}, status_code=202)


@router.post(f"{GROUP}/click")
async def create_click(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    body = await json_body(request)
    return JSONResponse(platform_of(request).audiences.create_click(caller, body), status_code=202)


@router.post(f"{GROUP}/imp")
async def create_imp(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    body = await json_body(request)
    return JSONResponse(platform_of(request).audiences.create_imp(caller, body), status_code=202)


@router.put(GROUP + "/{audienceGroupId}/updateDescription")
async def update_description(request: Request, audienceGroupId: str) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    body = await json_body(request)
    platform_of(request).audiences.update_description(caller, _group_id(audienceGroupId), body)
    return JSONResponse({})


@router.get(f"{GROUP}/list")
async def list_groups(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    return JSONResponse(platform_of(request).audiences.list_groups(caller, dict(request.query_params)))


@router.get(f"{GROUP}/shared/list")
async def list_shared(request: Request) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    return JSONResponse(platform_of(request).audiences.list_groups(caller, dict(request.query_params), shared=True))


@router.get(GROUP + "/shared/{audienceGroupId}")
async def get_shared(request: Request, audienceGroupId: str) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    return JSONResponse(platform_of(request).audiences.get(caller, _group_id(audienceGroupId), shared=True))


@router.get(GROUP + "/{audienceGroupId}")
async def get_group(request: Request, audienceGroupId: str) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    return JSONResponse(platform_of(request).audiences.get(caller, _group_id(audienceGroupId)))


@router.delete(GROUP + "/{audienceGroupId}")
async def delete_group(request: Request, audienceGroupId: str) -> JSONResponse:
    caller = line_caller(request, scope=AUDIENCE_SCOPE)
    platform_of(request).audiences.delete(caller, _group_id(audienceGroupId))
    return JSONResponse({})

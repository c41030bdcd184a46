"""What every help-desk page needs: the desk of the app, the form with its files, the ticket's ID, and the
engine's refusals turned into what a page answers (404 for what the viewer may not see, 400 for bad input)."""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations at run time.

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from linemod.framework.console.params import BadParameter, parse_row_id
from linemod.framework.console.web import PageNotFound
from linemod.framework.i18n import N_
from linemod.framework.support.attachments import AttachmentRefused, NewAttachment
from linemod.framework.support.extension import Support

MAX_BODY = 50_000
MAX_FILES_READ = 11  # one more than a message may carry, so that "too many" is said, not silently cut

REFUSALS = {
    "too_large": N_("“%(name)s” is larger than the help desk accepts."),
    "type_not_allowed": N_("Files of the type of “%(name)s” are not accepted (images, PDF, text, CSV, JSON, ZIP)."),
    "too_many": N_("Too many files: attach at most 10 to one message."),
}


async def support_of(request: Request) -> Support:
    """`app.support` of the module app serving this request (put on the FastAPI app by `ModuleApp.asgi()`)."""
    support: Support = request.app.state.support
    return support


SupportDep = Annotated[Support, Depends(support_of)]


def ticket_id_of(text: str) -> int:
    """The ticket ID of a path: anything that cannot be one is "not found", like a ticket the viewer may not see."""
    found = parse_row_id(text)
    if found is None:
        raise PageNotFound()
    return found


def text_field(form: FormData, name: str, limit: int = MAX_BODY) -> str:
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    return text.replace("\r\n", "\n")[:limit]


async def files_of(form: FormData, name: str = "files") -> list[NewAttachment]:
    """The files chosen in the form (an empty file input sends one nameless part: not a file)."""
    files = []
    for part in form.getlist(name)[:MAX_FILES_READ]:
        if isinstance(part, UploadFile) and part.filename:
            files.append(NewAttachment(part.filename, part.content_type or "", await part.read()))
    return files


def refusal(refused: AttachmentRefused) -> tuple[str, dict[str, str]]:
    """The message ID and values a page shows for a refused file."""
    return REFUSALS.get(refused.code, N_("This file cannot be attached.")), {"name": refused.filename}


def require_choice(value: str, choices: dict[str, object], message: str) -> str:
    """`value` when it is one of `choices`, else a 400 page saying `message`."""
    if value not in choices:
        raise BadParameter(message, value=value[:40])
    return value


Problem = tuple[str, dict[str, str]]
"""What a form says went wrong: a message ID and its values (templates show `_(problem[0], **problem[1])`)."""


def problem(message: str, **values: str) -> Problem:
    return message, values

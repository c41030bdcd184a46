"""LINE's official OpenAPI files: an external input pinned to one commit of `line/line-openapi`, never committed here.

The files come from `LINE_OPENAPI_DIR` when it is set (CI points it at a local copy), else from a cache under
`.cache/line-openapi/<commit>/`, filled on first use by downloading that commit's files from GitHub. Either way every
file's SHA-256 must match the one pinned below: a test that checks the emulator against a different version of LINE's
API would pass or fail for reasons nobody chose (line-bot-sdk pins the same repository as a submodule for that reason).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx

REPOSITORY = "line/line-openapi"
COMMIT = "6e4c2a2a1b7b059ea3920456d4f88d03fd8ef0bb"  # 2026-07-01
DOWNLOAD_BASE = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}"
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "line-openapi" / COMMIT

SHA256 = {
    "channel-access-token.yml": "4f15db8203c0b9b9c6416ac1b2ee4de319af0c4ff361a728cf23efae37949f0e",
    "insight.yml": "e4e3a1bbf6c5bf670f11f07c3c92659b236536355286748f3b27252d335723cd",
    "liff.yml": "2ba074ae9da7916510707c4b456428e20c93433e391a3558d2ce160a3effd460",
    "manage-audience.yml": "e3f4c214604305ca9d0db45435bd15161d40fb959a4b6cf38356d38fc0577e29",
    "messaging-api.yml": "0227978ce1b3133e20da034fc33a9241000619ae4fea2fda7b61983abf79577a",
    "module-attach.yml": "1cd753812d51339008fd42c7fccee28d90cfda659f13b2d97dcc1116331298ac",
    "module.yml": "31d9580396bb6e781bb42e5ea513e1884c3998b783cf6d7b30d65c87d32fa498",
    "shop.yml": "460b804a4c4d20617380ab982c9c41f5682b988c7c04aef9c57bca51c0025333",
    "webhook.yml": "4ffdeb374d43acf7b59bf4f0191791ed421c8d366362d118784c036a3609ca88",
}


class OpenAPIFilesUnavailable(RuntimeError):
    """The pinned files could be neither found nor downloaded; the message says how to provide them."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mismatches(directory: Path) -> list[str]:
    problems = []
    for name, expected in SHA256.items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif _digest(path.read_bytes()) != expected:
            problems.append(f"{name} is not the file of commit {COMMIT[:7]} (SHA-256 differs)")
    return problems


def _download(into: Path, base_url: str) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        for name, expected in SHA256.items():
            target = into / name
            if target.is_file() and _digest(target.read_bytes()) == expected:
                continue
            response = client.get(f"{base_url}/{name}")
            response.raise_for_status()
            if _digest(response.content) != expected:
                raise OpenAPIFilesUnavailable(
                    f"{base_url}/{name} does not have the SHA-256 pinned for commit {COMMIT[:7]}: refusing to use it"
                )
            # Written beside and renamed, so an interrupted download never leaves a half file that looks cached.
            partial = target.with_suffix(".part")
            partial.write_bytes(response.content)
            partial.replace(target)


def openapi_dir(*, base_url: str = DOWNLOAD_BASE, cache_dir: Path = CACHE_DIR) -> Path:
    """The directory holding every pinned file, verified; downloads into the cache when needed."""
    configured = os.environ.get("LINE_OPENAPI_DIR")
    if configured:
        directory = Path(configured)
        problems = _mismatches(directory)
        if problems:
            raise OpenAPIFilesUnavailable(
                f"LINE_OPENAPI_DIR={configured} does not hold {REPOSITORY} at commit {COMMIT[:7]}: "
                + "; ".join(problems)
            )
        return directory
    if not _mismatches(cache_dir):
        return cache_dir
    try:
        _download(cache_dir, base_url)
    except (httpx.HTTPError, OSError) as exc:
        raise OpenAPIFilesUnavailable(
            f"LINE's OpenAPI files ({REPOSITORY} at commit {COMMIT[:7]}) are not available: downloading them "
            f"from {base_url} failed ({exc}). Either allow that download, or check out that commit "
            f"(git clone https://github.com/{REPOSITORY} && git -C line-openapi checkout {COMMIT}) "
            "and set LINE_OPENAPI_DIR to its directory."
        ) from exc
    problems = _mismatches(cache_dir)
    if problems:  # cannot happen after a successful download, but a cache edited by hand must not pass
        raise OpenAPIFilesUnavailable(f"{cache_dir}: " + "; ".join(problems))
    return cache_dir

"""The browser pages: the folder ``web/`` served at ``/app/``, with no build step.

``/app/`` is the landing page, ``/app/player/`` the student player, ``/app/admin/`` the admin
pages; ``/app/shared/`` holds the ES modules they share. Third-party browser code comes from the
npm registry (``web/package.json``, installed by ``infra/install.sh`` with ``npm ci``) and is
served from an allow-list at ``/app/vendor/``, so no page ever loads anything from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from aiohttp import web

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
PREFIX = "/app/"

# URL name under /app/vendor/ -> file under web/node_modules/. Only these are served.
VENDOR_FILES: dict[str, str] = {
    "hls.mjs": "hls.js/dist/hls.min.mjs",
}

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Only these extensions are pages' files: web/package.json and friends are never served.
# Our own files change with every checkout: the browser revalidates (cheap, Last-Modified).
# Vendor files change only with web/package-lock.json, so a day of caching is safe.
OWN_CACHE = "no-cache"
VENDOR_CACHE = "public, max-age=86400"
# Folders under web/ that are not pages: never served as themselves.
_HIDDEN = {"node_modules"}

NOT_INSTALLED = """<!doctype html><html lang="en"><meta charset="utf-8">
<title>lecturecast: pages not installed</title>
<body><main><h1>The pages' browser libraries are not installed</h1>
<p>The gateway serves the pages from <code>web/</code>, but <code>web/node_modules</code> is
missing. Run <code>bash infra/install.sh</code> (it runs <code>npm ci</code> in
<code>web/</code>), then reload.</p></main></body></html>
"""


@dataclass(frozen=True, slots=True)
class Pages:
    """Resolves ``/app/`` URLs to files below one web root, never outside it."""

    root: Path
    # The browser PUTs uploads straight to S3 (presigned URLs): the one other origin a page
    # may connect to.
    upload_origin: str = ""

    @property
    def vendor_root(self) -> Path:
        """Where ``npm ci`` put the browser libraries."""
        return self.root / "node_modules"

    def installed(self) -> bool:
        """Whether every vendor file is present."""
        return all((self.vendor_root / rel).is_file() for rel in VENDOR_FILES.values())

    def resolve(self, tail: str) -> tuple[Path, bool] | None:
        """(file, is_vendor) for the URL path below ``/app/``; None when there is none.

        Any ``..``, empty, dot-hidden or backslash segment is refused before the file system is
        asked, and the resolved path must still be below the root (symlinks included).
        """
        parts = tail.split("/")
        directory = tail == "" or tail.endswith("/")
        if directory:
            parts = parts[:-1]
        if any(p in {"", ".", ".."} or p.startswith(".") or "\\" in p or "\x00" in p
               for p in parts):
            return None
        if parts and parts[0] == "vendor":
            rel = VENDOR_FILES.get("/".join(parts[1:]))
            return (self.vendor_root / rel, True) if rel and not directory else None
        if parts and parts[0] in _HIDDEN:
            return None
        path = self.root.joinpath(*parts)
        if directory:
            path = path / "index.html"
        if PurePosixPath(path.name).suffix.lower() not in CONTENT_TYPES:
            return None
        real = path.resolve()
        if not real.is_relative_to(self.root.resolve()) or not real.is_file():
            return None
        return real, False

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """GET/HEAD of one page, module, stylesheet or vendor file."""
        tail = request.match_info.get("tail", "")
        found = self.resolve(tail)
        if found is None:
            if not tail.endswith("/") and self.resolve(tail + "/") is not None:
                raise web.HTTPPermanentRedirect(PREFIX + tail + "/")
            return web.Response(status=404, text="Not found.\n", content_type="text/plain")
        path, vendor = found
        if vendor and not path.is_file():
            return web.Response(status=503, text=NOT_INSTALLED, content_type="text/html")
        if path.suffix == ".html" and not self.installed():
            return web.Response(status=503, text=NOT_INSTALLED, content_type="text/html")
        response = web.FileResponse(path, headers={
            "Content-Type": CONTENT_TYPES[path.suffix.lower()],
            "Cache-Control": VENDOR_CACHE if vendor else OWN_CACHE,
            "X-Content-Type-Options": "nosniff",
        })
        if path.suffix == ".html":
            # No third-party origin may be framed, fetched or scripted: everything is ours
            # but the S3 origin that uploads go to.
            connect = " ".join(filter(None, ("'self'", self.upload_origin)))
            response.headers["Content-Security-Policy"] = (
                f"default-src 'self'; connect-src {connect}; "
                "img-src 'self' data: blob:; media-src 'self' blob:; "
                "style-src 'self'; script-src 'self'; worker-src 'self' blob:; "
                "frame-ancestors 'none'")
            response.headers["Referrer-Policy"] = "no-referrer"
        return response


async def _to_landing(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(PREFIX)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what a Content-Security-Policy source names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def setup_routes(app: web.Application, root: Path = WEB_ROOT, *, upload_origin: str = "") -> None:
    """Add ``/app`` and ``/app/{tail}`` (GET and HEAD); pages may upload to ``upload_origin``."""
    pages = Pages(root, upload_origin)
    app.router.add_get("/app", _to_landing)
    app.router.add_get(PREFIX + "{tail:.*}", pages.serve)

"""Fetch article pages over HTTP(S) safely: public addresses only, size and time limits."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import httpx

from citedesk.errors import FetchError
from citedesk.settings import Settings
from citedesk.version import __version__

MAX_REDIRECTS = 5
ARTICLE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")
FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
)
ACCEPTED_TYPES = ARTICLE_TYPES + FEED_TYPES
USER_AGENT = f"citedesk/{__version__} (+news question answering)"


@dataclass(frozen=True)
class FetchedPage:
    """A page's final URL, media type and text."""

    url: str
    content_type: str
    text: str


def check_url(url: str, settings: Settings) -> None:
    """Refuse non-HTTP(S) URLs and hosts that resolve to non-public addresses, unless allowed.

    Every address the name resolves to is checked, so a name with one public and one private
    address is refused too.
    """
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise FetchError(f"{url}: only http:// and https:// URLs can be fetched")
    if settings.allow_private_urls:
        return
    allowed = [ipaddress.ip_network(n, strict=False) for n in settings.fetch_allowed_networks]
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"{url}: cannot resolve {parsed.hostname}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if any(address in network for network in allowed):
            continue
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"{url}: {parsed.hostname} is a private or local address ({address}); "
                "set ALLOW_PRIVATE_URLS=true to allow it"
            )


def fetch(
    url: str, settings: Settings, transport: httpx.BaseTransport | None = None
) -> FetchedPage:
    """GET a page, checking every redirect's target; raise FetchError naming the URL given."""
    try:
        return _fetch(url, settings, transport)
    except FetchError as exc:
        reason = str(exc)
        raise FetchError(
            reason if reason.startswith(url) else f"{url}: redirected to {reason}"
        ) from None


def _fetch(url: str, settings: Settings, transport: httpx.BaseTransport | None) -> FetchedPage:
    limit = settings.max_article_bytes
    with httpx.Client(
        timeout=settings.fetch_timeout_seconds,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, settings)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{url}: HTTP {response.status_code}")
                    media_type = response.headers.get("content-type", "").split(";")[0].strip()
                    if media_type.lower() not in ACCEPTED_TYPES:
                        raise FetchError(
                            f"{url}: not an article page ({media_type or 'no content type'})"
                        )
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > limit:
                        raise FetchError(f"{url}: {declared} bytes is over the {limit}-byte limit")
                    body = bytearray()
                    for piece in response.iter_bytes():
                        body.extend(piece)
                        if len(body) > limit:
                            raise FetchError(f"{url}: larger than the {limit}-byte limit")
                    encoding = response.charset_encoding or "utf-8"
                    return FetchedPage(
                        str(response.url), media_type.lower(), body.decode(encoding, "replace")
                    )
            except httpx.TimeoutException as exc:
                raise FetchError(
                    f"{url}: timed out after {settings.fetch_timeout_seconds:g} s"
                ) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

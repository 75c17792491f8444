"""Fetch article pages over HTTP(S) safely: public addresses only, size and time limits."""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import httpx

from citedesk.deadline_http import DeadlineTransport
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
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CHARSET = re.compile(r"charset\s*=\s*([^;\s]+)", re.IGNORECASE)
# Browsers look for <meta charset> in the first 1024 bytes; some pages put it a little later.
_META_SCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)


@dataclass(frozen=True)
class FetchedPage:
    """A page's final URL, media type and text."""

    url: str
    content_type: str
    text: str


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    packed = int(address)
    if address in _NAT64 or (
        packed >> 32 == 0 and packed > 1
    ):  # NAT64, or IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def _is_public(address: IPAddress) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    embedded = _embedded_ipv4(address)
    return embedded is None or (embedded.is_global and not embedded.is_multicast)


def check_url(url: str, settings: Settings) -> tuple[str, str]:
    """Refuse non-HTTP(S) URLs and hosts that resolve to non-public addresses, unless allowed.

    Every address the name resolves to is checked, so a name with one public and one private
    address is refused too; an IPv6 address is checked for the IPv4 address it may carry
    (NAT64, 6to4, IPv4-mapped or -compatible). Returns (host as sent, address to connect to):
    the caller connects to that address, never looking the name up again.
    """
    try:
        urlparse(url).port  # noqa: B018 - the stricter parser: "http://[oops/x" fails here
        parsed = httpx.URL(url)
        host, port = parsed.raw_host.decode("ascii"), parsed.port
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise FetchError(f"{url}: not a valid URL ({exc})") from None
    if parsed.scheme not in {"http", "https"} or not host:
        raise FetchError(f"{url}: only http:// and https:// URLs can be fetched")
    try:
        infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{url}: cannot resolve {parsed.host}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchError(f"{url}: cannot resolve {parsed.host}")
    if not settings.fetching.allow_private_urls:
        allowed = [
            ipaddress.ip_network(n, strict=False) for n in settings.fetching.allowed_networks
        ]
        for address in addresses:
            if any(address in network for network in allowed):
                continue
            if not _is_public(address):
                raise FetchError(
                    f"{url}: {parsed.host} is a private or local address ({address}); "
                    "set ALLOW_PRIVATE_URLS=true to allow it"
                )
    return host, str(addresses[0])


def _declared_charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1).strip("'\" ") if match else None


def _meta_charset(body: bytes) -> str | None:
    """The charset a page names in <meta charset> or <meta http-equiv="Content-Type">."""
    match = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def _text_codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # rot13, base64 and the like are codecs too, but not text encodings.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_page(url: str, body: bytes, content_type: str | None) -> str:
    """Decode a page by its HTTP charset, else its <meta> charset, else UTF-8.

    A charset that is named but unknown (and no usable other) is an error, not a guess.
    """
    named = [c for c in (_declared_charset(content_type), _meta_charset(body)) if c]
    for name in named:
        codec = _text_codec(name)
        if codec:
            return body.decode(codec, "replace")
    if named:
        raise FetchError(f"{url}: the page declares an unknown charset {named[0]!r}")
    return body.decode("utf-8", "replace")


def fetch(url: str, settings: Settings) -> FetchedPage:
    """GET a page, checking every redirect's target; raise FetchError naming the URL given.

    The whole fetch, redirects included, ends within FETCH_TIMEOUT_SECONDS.
    """
    try:
        return _fetch(url, settings)
    except FetchError as exc:
        reason = str(exc)
        raise FetchError(
            reason if reason.startswith(url) else f"{url}: redirected to {reason}"
        ) from None


def _fetch(url: str, settings: Settings) -> FetchedPage:
    limit = settings.fetching.max_article_bytes
    seconds = settings.fetching.timeout_seconds
    transport = DeadlineTransport(seconds, pins={})
    with httpx.Client(
        timeout=seconds,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        trust_env=False,  # a proxy from the environment would connect to unchecked addresses
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host, address = check_url(url, settings)
            assert transport.pins is not None
            transport.pins[host] = address
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchError(f"{url}: HTTP {response.status_code}")
                    content_type = response.headers.get("content-type", "")
                    media_type = content_type.split(";")[0].strip()
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
                    text = decode_page(url, bytes(body), content_type)
                    return FetchedPage(str(response.url), media_type.lower(), text)
            except httpx.TimeoutException as exc:
                raise FetchError(f"{url}: timed out after {seconds:g} s") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
            except (httpx.InvalidURL, ValueError) as exc:  # a Location or header httpx rejects
                raise FetchError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

"""A small news site on 127.0.0.1 for fetch, feed and bot tests, with pages that misbehave."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLOW_SECONDS = 3.0


def article_html(title: str, paragraphs: list[str], canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>{link}"
        '<meta property="og:site_name" content="Harbour Herald"></head><body>'
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
        "<footer>Share this: Facebook</footer></body></html>"
    )


class NewsSite:
    """Routes are plain data (status, headers, body) that tests may change while it runs."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                site.hits.append(self.path)
                if path == "/slow":
                    time.sleep(SLOW_SECONDS)
                status, headers, body = site.routes.get(
                    path, (404, {"Content-Type": "text/html"}, b"not found")
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may give up (timeouts, size limits): that is the point.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def page(self, path: str, html: str, content_type: str = "text/html; charset=utf-8") -> None:
        self.routes[path] = (200, {"Content-Type": content_type}, html.encode())

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (302, {"Location": location}, b"")

    def feed(self, path: str, links: list[str], dates: list[str] | None = None) -> None:
        """An RSS feed of these links; `dates` are RFC 822 pubDates, one per link."""
        when = [f"<pubDate>{d}</pubDate>" for d in dates] if dates else [""] * len(links)
        items = "".join(
            f"<item><title>Story {i}</title><link>{link}</link><guid>{link}</guid>{day}</item>"
            for i, (link, day) in enumerate(zip(links, when, strict=True))
        )
        self.page(
            path,
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Herald</title>'
            f"<link>{self.base}/</link><description>news</description>{items}</channel></rss>",
            "application/rss+xml",
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


KIEL = article_html(
    "Harbour reopens after storm",
    [
        "The harbour in Kiel reopened on Tuesday after the storm, the harbour master Ilse Brandt said.",
        "Ferries to Oslo will sail again from Wednesday morning, the operator said in a statement.",
    ],
    canonical="https://news.example/kiel-harbour",
)
LUBECK = article_html(
    "Bridge in Lübeck closed for repairs",
    [
        "The old lift bridge in Lübeck will stay closed until March for repairs, the city said on Monday.",
        "Cyclists are asked to use the ferry at the north end of the old town instead.",
    ],
    canonical="https://news.example/lubeck-bridge",
)

"""Article URLs and feeds from a loopback news site: safety checks, ids, updates."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from misbehaving import DripServer
from typer.testing import CliRunner
from websites import KIEL, LUBECK, NewsSite, article_html

from citedesk.answering import AnswerEngine
from citedesk.cli import app
from citedesk.errors import FetchError
from citedesk.ingest import ingest_sources
from citedesk.ingest.feeds import unique_links
from citedesk.ingest.fetch import check_url, fetch
from citedesk.settings import Settings, get_settings
from citedesk.vectorstore import open_store

LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture
def site() -> Iterator[NewsSite]:
    news = NewsSite()
    news.page("/kiel", KIEL)
    news.page("/lubeck", LUBECK)
    news.feed("/feed.xml", [news.url("/kiel"), news.url("/lubeck")])
    news.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    news.redirect("/to-intranet", "http://10.0.0.1/admin")
    news.redirect("/to-other-loopback", "http://127.0.0.2:9/")
    news.redirect("/loop", "/loop")
    news.page(
        "/huge", article_html("Huge", ["A sentence that goes on and on, said the editor."] * 3000)
    )
    news.page("/report.pdf", "%PDF-1.4 binary", "application/pdf")
    news.page("/slow", KIEL)
    yield news
    news.stop()


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "CITEDESK_DATA_DIR": tmp_path / "data",
        "FETCH_ALLOWED_NETWORKS": LOOPBACK,
        "FETCH_TIMEOUT_SECONDS": 1,
        "CITEDESK_MAX_ARTICLE_BYTES": 50_000,
    }
    return Settings(_env_file=None, **(base | overrides))  # type: ignore[arg-type]


def test_one_bad_url_never_stops_the_batch(site: NewsSite, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = open_store(settings)
    bad = {
        "/to-metadata": "169.254.169.254 is a private or local address",
        "/to-intranet": "10.0.0.1 is a private or local address",
        "/to-other-loopback": "127.0.0.2 is a private or local address",
        "/loop": "more than 5 redirects",
        "/huge": "limit",
        "/report.pdf": "not an article page (application/pdf)",
        "/missing": "HTTP 404",
        "/slow": "timed out after 1 s",
    }
    urls = [
        site.url("/kiel"),
        *(site.url(path) for path in bad),
        "ftp://127.0.0.1/x",
        site.url("/lubeck"),
    ]
    report = ingest_sources(urls, settings, store)
    assert (report.added, len(report.errors)) == (2, len(bad) + 1)
    for path, reason in bad.items():
        assert any(site.url(path) in e and reason in e for e in report.errors), (
            path,
            report.errors,
        )
    assert any("only http:// and https://" in e for e in report.errors)
    assert not any("169.254" in hit or "10.0.0.1" in hit for hit in site.hits)
    assert len(store.articles()) == 2


def test_private_addresses_are_refused_unless_allowed(site: NewsSite, tmp_path: Path) -> None:
    strict = Settings(_env_file=None, CITEDESK_DATA_DIR=tmp_path / "d")  # type: ignore[call-arg]
    for url in (
        site.url("/kiel"),
        "http://169.254.169.254/",
        "http://[::1]/",
        "http://192.168.1.1/",
    ):
        with pytest.raises(FetchError, match="private or local address"):
            check_url(url, strict)
    check_url(site.url("/kiel"), strict.replace(ALLOW_PRIVATE_URLS=True))
    check_url(site.url("/kiel"), strict.replace(FETCH_ALLOWED_NETWORKS=LOOPBACK))


def test_feed_twice_is_a_no_op_and_ids_are_canonical_urls(site: NewsSite, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = open_store(settings)
    first = ingest_sources([site.url("/feed.xml")], settings, store)
    assert (first.added, first.errors) == (2, [])
    again = ingest_sources([site.url("/feed.xml"), site.url("/kiel?utm_source=x")], settings, store)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    records = store.articles()
    assert sorted(r.id for r in records) == [
        "https://news.example/kiel-harbour",
        "https://news.example/lubeck-bridge",
    ]
    assert {r.outlet for r in records} == {"Harbour Herald"}


def test_a_feed_entry_date_is_kept_when_the_page_shows_none(site: NewsSite, tmp_path: Path) -> None:
    site.feed(
        "/dated.xml",
        [site.url("/kiel"), site.url("/lubeck")],
        ["Tue, 18 Jan 2022 09:30:00 GMT", "Mon, 17 Jan 2022 18:00:00 +0100"],
    )
    settings = settings_for(tmp_path)
    store = open_store(settings)
    report = ingest_sources([site.url("/dated.xml")], settings, store)
    assert (report.added, report.errors) == (2, [])
    assert {r.id: r.published for r in store.articles()} == {
        "https://news.example/kiel-harbour": "2022-01-18",
        "https://news.example/lubeck-bridge": "2022-01-17",
    }


def test_changed_page_replaces_its_old_text(site: NewsSite, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = open_store(settings)
    ingest_sources([site.url("/kiel")], settings, store)
    engine = AnswerEngine(settings, store)
    assert "Wednesday morning" in engine.ask("When do ferries to Oslo sail again?").answer
    site.page("/kiel", KIEL.replace("from Wednesday morning", "from Friday evening"))
    report = ingest_sources([site.url("/kiel")], settings, store)
    assert (report.added, report.updated) == (0, 1)
    answer = engine.ask("When do ferries to Oslo sail again?")
    assert "Friday evening" in answer.answer and "Wednesday" not in answer.answer
    assert not any(
        "Wednesday" in r.node.text for r in engine.retriever.retrieve("ferries Oslo Wednesday")
    )


def test_cli_feed_list_file(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(
        f"# our feeds\n\n{site.url('/feed.xml')}  # harbour herald\n", encoding="utf-8"
    )
    monkeypatch.setenv("CITEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", "--feeds", str(feeds), "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["added"] == 2
        bad = tmp_path / "bad.txt"
        bad.write_text("not a url\n")
        result = CliRunner().invoke(app, ["ingest", "--feeds", str(bad), "--json"])
        assert result.exit_code == 1 and "not a URL: not a url" in result.stderr
        listed = CliRunner().invoke(app, ["sources"])
        assert "Harbour Herald" in listed.stdout and "Lübeck" in listed.stdout
    finally:
        get_settings.cache_clear()


# --- hardening: deadlines, bad sources, charsets, DNS rebinding, embedded IPv4 --------------
@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
def test_a_dripping_page_is_cut_off_at_the_total_deadline(
    tmp_path: Path, drip_headers: bool
) -> None:
    """One byte every 0.5 s never trips a 2 s per-read timeout; the whole fetch must stop at 2 s."""
    drip = DripServer(KIEL.encode(), interval=0.5, drip_headers=drip_headers)
    settings = settings_for(tmp_path, FETCH_TIMEOUT_SECONDS=2)
    errors: list[str] = []
    started = time.monotonic()

    def fetch_it() -> None:
        try:
            fetch(drip.url("/story"), settings)
        except FetchError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=fetch_it, daemon=True)
    worker.start()
    worker.join(timeout=6)
    elapsed = time.monotonic() - started
    drip.stop()
    worker.join(timeout=5)
    assert elapsed < 3.5, f"the fetch ran {elapsed:.1f} s past a 2 s deadline"
    assert len(errors) == 1 and "timed out after 2 s" in errors[0], errors


def test_cli_bad_url_and_unknown_charset_are_error_lines_and_the_rest_goes_in(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.page("/odd-charset", LUBECK, "text/html; charset=x-no-such-charset")
    story = tmp_path / "story.txt"
    story.write_text("Harbour news\n\nThe harbour in Kiel reopened on Tuesday after the storm.\n")
    monkeypatch.setenv("CITEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FETCH_ALLOWED_NETWORKS", "127.0.0.1/32")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["ingest", "http://[oops/x", str(story), site.url("/odd-charset"), "--json"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2, result.stderr
    assert any("http://[oops/x" in e and "not a valid URL" in e for e in errors), errors
    assert any("x-no-such-charset" in e for e in errors), errors
    assert json.loads(result.stdout)["added"] == 1


def test_meta_charset_is_honoured(site: NewsSite, tmp_path: Path) -> None:
    html = LUBECK.replace("<head>", '<head><meta charset="windows-1252">')
    site.routes["/latin"] = (200, {"Content-Type": "text/html"}, html.encode("cp1252"))
    settings = settings_for(tmp_path)
    store = open_store(settings)
    report = ingest_sources([site.url("/latin")], settings, store)
    assert (report.added, report.errors) == (1, [])
    record = store.articles(with_text=True)[0]
    assert "Lübeck" in record.title and "Lübeck" in record.text


def test_a_bad_entry_never_stops_a_feed_poll(site: NewsSite, tmp_path: Path) -> None:
    site.page("/odd-charset", LUBECK, "text/html; charset=x-no-such-charset")
    site.feed(
        "/mixed.xml",
        [site.url("/kiel"), "http://[oops/x", site.url("/odd-charset"), site.url("/lubeck")],
    )
    settings = settings_for(tmp_path)
    store = open_store(settings)
    report = ingest_sources([site.url("/mixed.xml")], settings, store)
    assert report.added == 2 and len(report.errors) == 2, report.errors


def test_the_checked_address_is_the_one_connected_to(
    site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebinding name answers a permitted address first, an internal one after: no second look-up."""
    port = int(site.base.rsplit(":", 1)[1])
    internal_hits: list[str] = []

    class Internal(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            internal_hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(LUBECK)))
            self.end_headers()
            self.wfile.write(LUBECK.encode())

    internal = ThreadingHTTPServer(("127.0.0.2", port), Internal)
    threading.Thread(target=internal.serve_forever, daemon=True).start()
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding_dns(host: object, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":  # first answer passes the check, every later one is internal
            host = next(answers, "127.0.0.2")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    settings = settings_for(tmp_path)
    try:
        page = fetch(f"http://rebind.test:{port}/kiel", settings)
    finally:
        internal.shutdown()
        internal.server_close()
    assert internal_hits == []
    assert "Kiel" in page.text and page.url == f"http://rebind.test:{port}/kiel"


def test_embedded_private_ipv4_in_ipv6_is_refused(tmp_path: Path) -> None:
    strict = Settings(_env_file=None, CITEDESK_DATA_DIR=tmp_path / "d")  # type: ignore[call-arg]
    for literal in (
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::10.0.0.1",  # IPv4-compatible
    ):
        with pytest.raises(FetchError, match="private or local address"):
            check_url(f"http://[{literal}]/", strict)


def test_feed_links_are_distinct_in_feed_order_up_to_the_limit() -> None:
    entries = [{"link": f"https://news.example/{i % 7}"} for i in range(100)]
    entries[3:3] = [{"link": "ftp://x/y"}, {"title": "no link"}, {"link": None}]
    assert unique_links(entries, 5) == [f"https://news.example/{i}" for i in range(5)]
    assert unique_links(entries, 50) == [f"https://news.example/{i}" for i in range(7)]


def test_transports_share_one_verifying_tls_context() -> None:
    import ssl

    from citedesk.deadline_http import DeadlineTransport, tls_context

    # Made once per process: loading the CA bundle for each fetched article cost 70 ms of CPU.
    first, second = DeadlineTransport(10), DeadlineTransport(10, pins={})
    contexts = {id(t._pool._ssl_context) for t in (first, second)}
    assert contexts == {id(tls_context())}
    assert tls_context().verify_mode == ssl.CERT_REQUIRED and tls_context().check_hostname

"""The real bot (python-telegram-bot over HTTP) against a Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram_api import BOT_USERNAME, MAX_TEXT, FakeTelegram, utf16_length, visible_html_text
from websites import KIEL, NewsSite

from citedesk.bot.app import build_application, check_token
from citedesk.bot.conversation import Conversation
from citedesk.bot.texts import ADMIN_ONLY, APOLOGY, NON_TEXT_HINT, REFUSAL
from citedesk.desk import Desk
from citedesk.errors import ConfigError
from citedesk.ingest import ingest_paths
from citedesk.settings import Settings
from citedesk.vectorstore import open_store

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
ADMIN = 999
WAIT = 60.0


async def until(predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Wait, without blocking the bot's event loop, until predicate() is truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise TimeoutError("the bot did not do that in time")


def replies_to(telegram: FakeTelegram, message: dict[str, Any]) -> list[dict[str, Any]]:
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    return [
        m
        for m in telegram.sent_to(chat_id)
        if (m.get("reply_to_message") or {}).get("message_id") == message_id
    ]


async def ask(
    telegram: FakeTelegram, chat_id: int, text: str, **kwargs: Any
) -> list[dict[str, Any]]:
    """Send a message as a user and return the bot's replies to it once they stop coming."""
    message = telegram.user_sends(chat_id, text, **kwargs)
    await until(lambda: replies_to(telegram, message))
    await asyncio.sleep(0.3)  # a split answer may still be arriving
    return replies_to(telegram, message)


def visible(message: dict[str, Any]) -> str:
    return visible_html_text(message["text"])


@pytest.fixture
def telegram() -> Any:
    server = FakeTelegram(TOKEN).start()
    yield server
    server.stop()


def bot_settings(telegram: FakeTelegram, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        CITEDESK_DATA_DIR=data_dir,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        ADMIN_USER_IDS=[ADMIN],
        **overrides,
    )


class RunningBot:
    def __init__(self, settings: Settings, desk: Desk) -> None:
        self.application = build_application(settings, desk)

    async def __aenter__(self) -> RunningBot:
        await self.application.initialize()
        if self.application.post_init:  # as run_polling() does
            await self.application.post_init(self.application)
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(poll_interval=0.0, timeout=1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.application.updater is not None
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()


@pytest.fixture
async def bot(telegram: FakeTelegram, desk: Desk, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with RunningBot(
        bot_settings(telegram, tmp_path / "bot", SOURCES_PAGE_SIZE=2), desk
    ) as running:
        yield running


def assert_all_accepted(telegram: FakeTelegram) -> None:
    assert not [r for r in telegram.rejections if not r[1].startswith("Too Many Requests")], (
        telegram.rejections
    )


# --- tests -----------------------------------------------------------------------------------
async def test_start_registers_commands_and_greets(telegram: FakeTelegram, bot: RunningBot) -> None:
    (greeting,) = await ask(telegram, 1, "/start")
    names = {c["command"] for c in telegram.commands}
    assert names == {
        "start",
        "help",
        "ask",
        "sources",
        "reset",
        "ingest",
        "remove",
        "feeds",
        "stats",
    }
    # Example questions name the people the articles mention most.
    assert "5" in visible(greeting) and re.search(r"Who is [A-Z]\w+ [A-Z]\w+\?", visible(greeting))
    (help_text,) = await ask(telegram, 1, "/help")
    assert "/ask QUESTION" in visible(help_text)
    assert_all_accepted(telegram)


async def test_question_gets_a_cited_html_reply_with_buttons(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    replies = await ask(telegram, 5, "who warned of massive consequences?")
    text = "\n".join(m["text"] for m in replies)
    assert "<blockquote>" in text and "<b>[1]</b>" in text
    shown = "\n".join(visible(m) for m in replies)
    assert "Biden" in shown and "massive consequences" in shown
    assert all(m["parse_mode"] == "HTML" for m in replies)
    buttons = [b for row in replies[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons][:2] == ["ctx:0:1", "ctx:0:2"]
    actions = [params for method, params in telegram.calls if method == "sendChatAction"]
    assert actions and actions[0]["action"] == "typing"
    assert_all_accepted(telegram)


async def test_follow_up_then_reset(telegram: FakeTelegram, bot: RunningBot) -> None:
    await ask(telegram, 7, "Who is the Kremlin spokesman?")
    (follow_up,) = await ask(telegram, 7, "What did he deny?")
    assert "Peskov denied" in visible(follow_up)
    (done,) = await ask(telegram, 7, "/reset")
    assert "forgotten" in visible(done)
    after = await ask(telegram, 7, "What did he deny?")
    assert "Peskov denied" not in visible(after[0]).split("\n")[1]
    # Four updates, each confirmed by the offset of a later getUpdates and answered once.
    await until(lambda: telegram.last_update_offset == 5)
    assert len(telegram.sent_to(7)) == 4


async def test_group_answers_only_when_addressed(telegram: FakeTelegram, bot: RunningBot) -> None:
    group = -100
    ignored = telegram.user_sends(
        group, "Who is Karen Donfried?", user_id=11, chat_type="supergroup"
    )
    telegram.user_sends(group, "a sticker", user_id=11, chat_type="supergroup")
    mentioned = await ask(
        telegram,
        group,
        f"@{BOT_USERNAME} Who is Karen Donfried?",
        user_id=11,
        chat_type="supergroup",
    )
    assert "assistant secretary of state" in visible(mentioned[0])
    asked = await ask(
        telegram, group, "/ask Who is the Kremlin spokesman?", user_id=12, chat_type="supergroup"
    )
    assert "Dmitry Peskov" in visible(asked[0])
    replied = await ask(
        telegram,
        group,
        "What did he deny?",
        user_id=12,
        chat_type="supergroup",
        reply_to=asked[0]["message_id"],
    )
    assert "Peskov denied" in visible(replied[0])
    assert replies_to(telegram, ignored) == []
    assert len(telegram.sent_to(group)) == 3


async def test_allow_list_refuses_politely(
    telegram: FakeTelegram, desk: Desk, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path / "bot", ALLOWED_USER_IDS=[21])
    async with RunningBot(settings, desk):
        (refusal,) = await ask(telegram, 22, "Who is Karen Donfried?")
        assert visible(refusal) == REFUSAL
        (answer,) = await ask(telegram, 21, "Who is Karen Donfried?")
        assert "assistant secretary of state" in visible(answer)
        (admin,) = await ask(telegram, ADMIN, "Who is Karen Donfried?")
        assert "assistant secretary of state" in visible(admin)


async def test_citation_button_shows_the_wider_passage(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    replies = await ask(telegram, 8, "Who is the Kremlin spokesman?")
    last = replies[-1]
    query = telegram.user_presses(8, last["message_id"], "ctx:0:1")
    await until(lambda: query in telegram.callback_answers)
    passage = await until(
        lambda: [
            m
            for m in telegram.sent_to(8)
            if "<blockquote>" in m["text"]
            and m is not last
            and "<b>Kremlin" not in m["text"]
            and "[1]</b> <i>" in m["text"]
        ]
    )
    assert "Dmitry Peskov" in visible(passage[0])
    stale = telegram.user_presses(8, last["message_id"], "ctx:41:1")
    await until(lambda: stale in telegram.callback_answers)
    assert "too old" in telegram.callback_answers[stale]["text"]
    assert_all_accepted(telegram)


async def test_sources_are_paged_with_buttons(telegram: FakeTelegram, bot: RunningBot) -> None:
    (page,) = await ask(telegram, 9, "/sources")
    assert "page 1 of 3" in visible(page)
    (button,) = page["reply_markup"]["inline_keyboard"][0]
    query = telegram.user_presses(9, page["message_id"], button["callback_data"])
    await until(lambda: query in telegram.callback_answers)
    await until(lambda: "page 2 of 3" in visible(telegram.messages[9][page["message_id"]]))
    assert_all_accepted(telegram)


async def test_429_is_waited_out_and_the_answer_arrives(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    telegram.fail_next("sendMessage", times=1, retry_after=1)
    started = time.monotonic()
    replies = await ask(telegram, 10, "Who is Karen Donfried?")
    assert "assistant secretary of state" in visible(replies[0])
    assert ("sendMessage", "Too Many Requests: retry after 1") in telegram.rejections
    assert time.monotonic() - started >= 1.0


async def test_a_dropped_connection_is_not_sent_twice(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    # The request reached the server before the connection dropped: Telegram may have delivered
    # it, so the bot does not send it again (it apologises instead, once).
    telegram.drop_next("sendMessage", times=1)
    (reply,) = await ask(telegram, 11, "Who is Karen Donfried?")
    assert visible(reply) == APOLOGY
    assert telegram.rejections.count(("sendMessage", "connection dropped")) == 1
    await asyncio.sleep(1.0)
    assert len(telegram.sent_to(11)) == 1


async def test_a_failing_update_gets_an_apology_and_the_bot_goes_on(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    telegram.reject_next(
        "sendMessage", "Bad Request: not enough rights to send text messages to the chat"
    )
    (apology,) = await ask(telegram, 12, "Who is Karen Donfried?")
    assert visible(apology) == APOLOGY
    (answer,) = await ask(telegram, 12, "Who is Karen Donfried?")
    assert "assistant secretary of state" in visible(answer)


async def test_non_text_messages_get_a_hint(telegram: FakeTelegram, bot: RunningBot) -> None:
    for kind in (
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
    ):
        message = telegram.user_sends(13, None, **kind)
        (hint,) = await until(lambda message=message: replies_to(telegram, message))
        assert visible(hint) == NON_TEXT_HINT
    document = telegram.user_sends(
        13, None, document={"file_id": "f", "file_unique_id": "f", "file_name": "a.txt"}
    )
    (hint,) = await until(lambda: replies_to(telegram, document))
    assert visible(hint) == NON_TEXT_HINT


async def test_markup_in_a_question_comes_back_escaped(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    question = "<b>bold</b> & <script>alert(1)</script> recipe?"
    (reply,) = await ask(telegram, 14, question)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply["text"] and "&amp;" in reply["text"]
    assert question in visible(reply)
    (too_long,) = await ask(telegram, 14, "w" * 2000)
    assert "2,000 characters long; the limit is 1,000" in visible(too_long)
    assert_all_accepted(telegram)


async def test_fifty_chats_at_once_get_their_own_answers(
    telegram: FakeTelegram, bot: RunningBot
) -> None:
    chats = list(range(1000, 1050))
    first = {
        chat: telegram.user_sends(
            chat,
            "Who is the Kremlin spokesman?" if chat % 2 else "Who is the US ambassador to the UN?",
        )
        for chat in chats
    }
    await until(lambda: all(replies_to(telegram, m) for m in first.values()), timeout=180)
    follow = {
        chat: telegram.user_sends(chat, "What did he deny?" if chat % 2 else "What did she deny?")
        for chat in chats
    }
    await until(lambda: all(replies_to(telegram, m) for m in follow.values()), timeout=180)
    for chat in chats:
        text = visible(replies_to(telegram, follow[chat])[0])
        if chat % 2:
            assert "Peskov denied" in text, chat
        else:
            assert "negotiations have broken down" in text, chat
    assert_all_accepted(telegram)


async def test_conversation_survives_a_restart(
    telegram: FakeTelegram, desk: Desk, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path / "bot")
    async with RunningBot(settings, desk):
        await ask(telegram, 15, "Who is the Kremlin spokesman?")
    assert (tmp_path / "bot" / "bot-conversations.sqlite3").exists()
    async with RunningBot(settings, desk):
        (follow_up,) = await ask(telegram, 15, "What did he deny?")
        assert "Peskov denied" in visible(follow_up)


async def test_a_conversation_is_kept_packed_and_one_saved_unpacked_still_works(
    telegram: FakeTelegram, desk: Desk, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path / "bot")
    async with RunningBot(settings, desk) as running:
        replies = await ask(telegram, 17, "Who is the Kremlin spokesman?")
        chat = running.application.chat_data[17]
        assert set(chat) == {"conversation", "last_active", "next_answer"}
        # One bytes object: thousands of chats stay small (dicts took ~6.4 KB a chat).
        assert isinstance(chat["conversation"], bytes) and len(chat["conversation"]) < 4000
        unpacked = Conversation.of(chat)
        assert unpacked.history[0]["question"] == "Who is the Kremlin spokesman?"
        assert [c["n"] for c in unpacked.answers[0]] == list(range(1, len(unpacked.answers[0]) + 1))
        # Compressed: the quotes are in the turn and again in the citations.
        pickled = pickle.dumps((unpacked.history, unpacked.answers), pickle.HIGHEST_PROTOCOL)
        assert len(chat["conversation"]) < 0.8 * len(pickled)
        # As the version before kept it: a pickle, not compressed.
        assert Conversation.of({"conversation": pickled}) == unpacked
        # As an earlier version kept it (and the persistence may hold it so): unpacked keys.
        del chat["conversation"]
        chat["history"], chat["answers"] = unpacked.history, unpacked.answers
        (follow_up,) = await ask(telegram, 17, "What did he deny?")
        assert "Peskov denied" in visible(follow_up)
        assert "history" not in chat and len(Conversation.of(chat).history) == 2
        query = telegram.user_presses(17, replies[-1]["message_id"], "ctx:0:1")
        await until(lambda: query in telegram.callback_answers)
        assert "too old" not in str(telegram.callback_answers[query].get("text"))
    assert_all_accepted(telegram)


async def test_idle_conversation_expires(
    telegram: FakeTelegram, desk: Desk, tmp_path: Path
) -> None:
    settings = bot_settings(telegram, tmp_path / "bot", CONVERSATION_IDLE_MINUTES=1)
    async with RunningBot(settings, desk) as running:
        await ask(telegram, 16, "Who is the Kremlin spokesman?")
        running.application.chat_data[16]["last_active"] -= 61  # a minute passes
        (follow_up,) = await ask(telegram, 16, "What did he deny?")
        assert "Peskov denied" not in visible(follow_up).split("\n")[1]


async def test_long_answers_are_split_at_paragraphs(telegram: FakeTelegram, tmp_path: Path) -> None:
    corpus = tmp_path / "long"
    corpus.mkdir()
    for n in range(10):
        harbour = [
            "Hamburg",
            "Rotterdam",
            "Antwerp",
            "Le Havre",
            "Gdansk",
            "Genoa",
            "Valencia",
            "Piraeus",
            "Bremen",
            "Felixstowe",
        ][n]
        clause = f", and crews in {harbour} worked through the night to secure loose containers, inspect damaged quay walls, clear fallen cranes and reopen the approach channels for waiting ships"
        (corpus / f"port{n}.txt").write_text(
            f"Storm closes {harbour} port\n\nThe storm closed the port of {harbour} on Monday{clause * 5}, port officials said.\n",
            encoding="utf-8",
        )
    settings = bot_settings(telegram, tmp_path / "data", CITEDESK_TOP_K=10)
    store = open_store(settings)
    assert ingest_paths([corpus], settings, store).added == 10
    async with RunningBot(settings, Desk(settings, store)):
        replies = await ask(telegram, 17, "Which ports did the storm close on Monday?")
    assert len(replies) >= 2
    assert all(utf16_length(visible(m)) <= MAX_TEXT for m in replies)
    assert all(m["text"].count("<blockquote>") == m["text"].count("</blockquote>") for m in replies)
    assert [bool(m.get("reply_markup")) for m in replies] == [False] * (len(replies) - 1) + [True]
    assert_all_accepted(telegram)


@pytest.mark.parametrize("allow_private", [True, False])
async def test_admin_ingests_a_url(
    telegram: FakeTelegram, tmp_path: Path, sample_copy: Path, allow_private: bool
) -> None:
    site = NewsSite()
    site.page("/harbour", KIEL)
    url = site.url("/harbour")
    settings = bot_settings(telegram, tmp_path / "data", ALLOW_PRIVATE_URLS=allow_private)
    store = open_store(settings)
    ingest_paths([sample_copy], settings, store)
    try:
        async with RunningBot(settings, Desk(settings, store)):
            (refused,) = await ask(telegram, 31, f"/ingest {url}")
            assert visible(refused) == ADMIN_ONLY
            (usage,) = await ask(telegram, ADMIN, "/ingest not-a-url")
            assert "Usage" in visible(usage)
            (summary,) = await ask(telegram, ADMIN, f"/ingest {url}")
            if not allow_private:
                assert "added 0" in visible(summary) and "private or local address" in visible(
                    summary
                )
                return
            assert "added 1" in visible(summary) and "Harbour reopens" in visible(summary)
            (answer,) = await ask(telegram, 31, "When do ferries to Oslo sail again?")
            assert "Wednesday morning" in visible(answer)
            assert "https://news.example/kiel-harbour" in answer["text"]
            (stats,) = await ask(telegram, ADMIN, "/stats")
            assert "Articles: 6" in visible(stats)
            (bare,) = await ask(telegram, ADMIN, url)  # a bare URL from an admin is ingested too
            assert "unchanged 1" in visible(bare)
    finally:
        site.stop()


async def test_admin_sends_an_article_file(telegram: FakeTelegram, tmp_path: Path) -> None:
    settings = bot_settings(telegram, tmp_path / "data")
    store = open_store(settings)
    async with RunningBot(settings, Desk(settings, store)):
        file_id = telegram.add_file(
            b"Lighthouse keepers return\n\nThe lighthouse on Fehmarn got its keepers back on Friday, the island council said.\n"
        )
        message = telegram.user_sends(
            ADMIN,
            None,
            document={
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": "lighthouse.txt",
                "file_size": 120,
            },
        )
        (summary,) = await until(lambda: replies_to(telegram, message))
        assert "added 1" in visible(summary)
        (answer,) = await ask(telegram, 32, "When did the lighthouse keepers return to Fehmarn?")
        assert "Friday" in visible(answer)


async def test_token_never_appears_in_logs(
    telegram: FakeTelegram, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await ask(telegram, 40, "Who is Karen Donfried?")
    telegram.reject_next("sendMessage", "Bad Request: chat not found")
    await ask(telegram, 40, "Who is Karen Donfried?")
    assert caplog.records and TOKEN not in caplog.text
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", caplog.text)


@pytest.mark.parametrize("token", ["", "nonsense", "123:short"])
def test_missing_or_malformed_token_is_one_clear_error(token: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        check_token(token)


async def test_bot_polls_feeds_and_tells_admins(telegram: FakeTelegram, tmp_path: Path) -> None:
    site = NewsSite()
    site.page("/kiel", KIEL)
    site.feed("/feed.xml", [site.url("/kiel")])
    telegram.user_sends(ADMIN, "/help")  # the admin has a chat with the bot
    settings = bot_settings(
        telegram,
        tmp_path / "data",
        FEED_URLS=[site.url("/feed.xml")],
        FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"],
    )
    try:
        async with RunningBot(settings, Desk(settings, open_store(settings))):
            report = await until(
                lambda: [m for m in telegram.sent_to(ADMIN) if "Feeds polled" in m["text"]]
            )
            assert "added 1" in visible(report[0]) and "Harbour reopens" in visible(report[0])
            (answer,) = await ask(telegram, 33, "When do ferries to Oslo sail again?")
            assert "Wednesday morning" in visible(answer)
    finally:
        site.stop()


async def test_webhook_mode_requires_the_secret_token(
    telegram: FakeTelegram, desk: Desk, tmp_path: Path
) -> None:
    import httpx
    from conftest import free_port

    from citedesk.bot.app import webhook_options

    port = free_port()
    settings = bot_settings(
        telegram,
        tmp_path / "bot",
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram-hook",
        WEBHOOK_PORT=port,
    )
    options = webhook_options(settings)
    application = build_application(settings, desk)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    try:
        await application.updater.start_webhook(**options)
        assert telegram.webhook["url"] == f"http://127.0.0.1:{port}/telegram-hook"
        assert telegram.webhook["secret_token"] == options["secret_token"]
        message = telegram.user_sends(60, "Who is Karen Donfried?")
        update = {"update_id": 1, "message": message}
        async with httpx.AsyncClient() as client:
            forged = await client.post(f"http://127.0.0.1:{port}/telegram-hook", json=update)
            assert forged.status_code == 403
            real = await client.post(
                f"http://127.0.0.1:{port}/telegram-hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": options["secret_token"]},
            )
            assert real.status_code == 200
        (reply,) = await until(lambda: replies_to(telegram, message))
        assert "assistant secretary of state" in visible(reply)
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_idle_conversations_are_emptied_on_a_schedule(bot: RunningBot) -> None:
    job_queue = bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("forget-idle-chats")
    assert job.job.trigger.interval.total_seconds() == 60 * 60  # the idle time's default

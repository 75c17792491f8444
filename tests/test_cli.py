"""The `citedesk` command through typer's runner, on real stores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citedesk.cli import app
from citedesk.paths import PROJECT_ROOT, SAMPLE_CORPUS

runner = CliRunner()


def _lines(output: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_ingest_json_then_again_is_a_no_op(data_dir: Path) -> None:
    first = runner.invoke(app, ["ingest", str(SAMPLE_CORPUS), "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert set(report) == {"added", "updated", "unchanged", "removed", "chunks", "errors"}
    assert report["added"] == 5 and report["chunks"] > 5 and report["errors"] == []
    second = json.loads(runner.invoke(app, ["ingest", str(SAMPLE_CORPUS), "--json"]).stdout)
    assert second == {
        "added": 0,
        "updated": 0,
        "unchanged": 5,
        "removed": 0,
        "chunks": 0,
        "errors": [],
    }


def test_ask_on_empty_store_ingests_the_sample_first(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["ask", "Who warned Russia of massive consequences if it invades Ukraine?", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "ingesting the sample corpus" in result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"question", "answer", "abstained", "citations"}
    assert answer["abstained"] is False
    citation = answer["citations"][0]
    assert set(citation) == {"n", "source", "title", "published", "quote", "score"}
    quotes = " ".join(c["quote"] for c in answer["citations"])
    assert "Baerbock" in quotes and "Biden" in quotes
    text = runner.invoke(
        app, ["ask", "Who warned Russia of massive consequences if it invades Ukraine?", "-k", "1"]
    )
    assert text.exit_code == 0 and "Sources:" in text.stdout and "[2]" not in text.stdout


def test_chat_reads_lines_and_keeps_the_conversation(data_dir: Path) -> None:
    questions = (
        "Who is the Kremlin spokesman?\nWhat did he deny?\nWhat is the capital of Australia?\n"
    )
    result = runner.invoke(app, ["chat", "--json"], input=questions)
    assert result.exit_code == 0, result.output
    answers = _lines(result.stdout)
    assert [a["question"] for a in answers] == questions.strip().split("\n")
    assert "Peskov denied" in answers[1]["citations"][0]["quote"]
    assert answers[2]["abstained"] is True and answers[2]["citations"] == []


def test_chat_reports_a_bad_line_and_goes_on(data_dir: Path) -> None:
    result = runner.invoke(
        app, ["chat", "--json"], input=f"{'x' * 20_000}\nWho is Karen Donfried?\n"
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == ["error: the question is 20,000 characters long; the limit is 1,000"]
    assert len(_lines(result.stdout)) == 1


@pytest.mark.parametrize("question", ["", "   ", "x" * 20_000])
def test_ask_bad_question_is_one_line_and_non_zero(data_dir: Path, question: str) -> None:
    runner.invoke(app, ["ingest", str(SAMPLE_CORPUS)])
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_ingest_bad_inputs_fail_with_one_line_each_and_store_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    result = runner.invoke(
        app,
        [
            "ingest",
            str(empty),
            str(binary),
            str(tmp_path / "nope"),
            str(tmp_path / "x.docx"),
            "--json",
        ],
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == 0 and len(report["errors"]) == 4
    assert len(result.stderr.strip().splitlines()) == 4
    assert json.loads(runner.invoke(app, ["sources", "--json"]).stdout) == []


def test_sources_and_eval(data_dir: Path) -> None:
    runner.invoke(app, ["ingest", str(SAMPLE_CORPUS)])
    listed = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)
    assert len(listed) == 5 and {"title", "outlet", "ingested_at", "source"} <= set(listed[0])
    table = runner.invoke(app, ["sources"])
    assert table.exit_code == 0 and "Press TV" in table.stdout
    dev = PROJECT_ROOT / "eval" / "dev.jsonl"
    result = runner.invoke(app, ["eval", str(dev), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)[str(dev)]
    assert {"hit_rate", "mrr", "abstain_accuracy"} <= set(scores) and scores["hit_rate"] >= 0.9
    missing = runner.invoke(app, ["eval", "nowhere.jsonl"])
    assert missing.exit_code == 1 and "no such evaluation file" in missing.stderr


def test_python_dash_m_entry_points(tmp_path: Path) -> None:
    env = {
        "CITEDESK_DATA_DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
    }
    ingest = subprocess.run(
        [sys.executable, "-m", "citedesk", "ingest", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=300,
    )
    assert ingest.returncode == 1 and "no such file or folder" in ingest.stderr
    bot = subprocess.run(
        [sys.executable, "-m", "citedesk", "bot"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert (
        bot.returncode == 1 and "TELEGRAM_BOT_TOKEN" in bot.stderr and "Traceback" not in bot.stderr
    )


def test_remove_deletes_an_article_and_its_chunks(data_dir: Path) -> None:
    runner.invoke(app, ["ingest", str(SAMPLE_CORPUS)])
    listed = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)
    target = next(r for r in listed if r["source"].startswith("003"))
    result = runner.invoke(app, ["remove", target["source"], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"removed": [target["id"]]}
    after = json.loads(runner.invoke(app, ["sources", "--json"]).stdout)
    assert target["id"] not in {r["id"] for r in after} and len(after) == 4
    answer = json.loads(
        runner.invoke(app, ["ask", "What did the US send Moscow?", "--json"]).stdout
    )
    assert all(not c["source"].startswith("003") for c in answer["citations"])
    missing = runner.invoke(app, ["remove", "no-such-article"])
    assert missing.exit_code == 1 and "no stored article has the id or source" in missing.stderr
    assert len(json.loads(runner.invoke(app, ["sources", "--json"]).stdout)) == 4

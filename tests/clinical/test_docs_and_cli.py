"""docs/clinical.md is what the registry says, and `jianguan calc` answers in JSON: the result,
or an error naming the input with exit status 2 — never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jianguan import clinical
from jianguan.clinical import cli, docs

ROOT = Path(__file__).resolve().parents[2]


def test_docs_clinical_md_is_generated_from_the_registry() -> None:
    written = (ROOT / "docs" / "clinical.md").read_text(encoding="utf-8")
    assert written == docs.document(), "run: python -m jianguan.clinical.docs > docs/clinical.md"


def test_the_docs_list_every_model_and_input_key() -> None:
    text = docs.document()
    for model in clinical.models():
        assert f"`{model.id}`" in text
        for spec in model.inputs:
            for key in spec.accepted_keys():
                assert f"`{key}`" in text, (model.id, key)


def test_the_cli_prints_the_result_as_json() -> None:
    status, text = cli.run("bmi", '{"weight_kg": 72, "height_cm": 175}')
    data = json.loads(text)
    assert status == 0 and data["model"] == "bmi" and data["category"] == "normal"


@pytest.mark.parametrize(
    ("model", "raw", "field", "code"),
    [
        ("bmi", "{not json", "input", "json"),
        ("bmi", "[1, 2]", "input", "json_object"),
        ("nope", "{}", "model", "unknown_model"),
        ("bmi", '{"weight_kg": 72, "height_cm": 1.75}', "height_cm", "impossible"),
        ("bmi", '{"weight_kg": 72}', "height_cm", "missing"),
    ],
)
def test_the_cli_names_what_is_wrong(model: str, raw: str, field: str, code: str) -> None:
    status, text = cli.run(model, raw)
    error = json.loads(text)["error"]
    assert status == 2 and (error["field"], error["code"]) == (field, code)
    assert error["message_zh"] and error["message_en"]


def test_the_command_exits_2_without_a_traceback() -> None:
    jianguan = Path(sys.executable).parent / "jianguan"
    bad = subprocess.run(
        [str(jianguan), "calc", "bmi", "--input", '{"weight_kg": -3, "height_cm": 170}'],
        capture_output=True,
        text=True,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "jianguan.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert bad.returncode == 2, bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    assert json.loads(bad.stdout)["error"]["field"] == "weight_kg"
    good = subprocess.run(
        [str(jianguan), "calc", "--list"],
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "jianguan.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert "bmi\t" in good.stdout

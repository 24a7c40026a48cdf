"""Tone of Voice linter: each rule with its exact span, clean replies in both languages, guide validation, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paydesk.cli import CliError
from paydesk.core.errors import ValidationError
from paydesk.replies.cli import register
from paydesk.replies.tone import GUIDE_PATH, lint_reply, load_guide

GOOD_EN = (
    "Hi Anna,\n\nThank you for your patience. Your deposit of $50.00 is confirmed and we expect it on your balance "
    "within 2 hours.\n\nKind regards,\nthe Support Team"
)
GOOD_RU = (
    "Здравствуйте, Анна!\n\nВаш депозит на 1 500,00 ₽ подтверждён. Обычно зачисление занимает до 2 часов.\n\n"
    "С уважением, служба поддержки"
)


def _codes(text: str, lang: str) -> list[tuple[str, str, str]]:
    return [(f.code, f.severity, f.text) for f in lint_reply(text, lang=lang)]


def test_clean_replies_have_no_findings() -> None:
    assert lint_reply(GOOD_EN, lang="en") == []
    assert lint_reply(GOOD_RU, lang="ru") == []


def test_english_rules_and_spans() -> None:
    text = (
        "Your PSP callback failed because you should have entered the right card. "
        "It will be credited within 2 hours!!! NOTHING to worry."
    )
    findings = lint_reply(text, lang="en")
    assert [(f.code, f.severity, f.start, f.end, f.text) for f in findings] == [
        ("greeting-missing", "warning", 0, 0, ""),
        ("jargon", "error", 5, 8, "PSP"),
        ("jargon", "error", 9, 17, "callback"),
        ("blame", "error", 33, 48, "you should have"),
        ("time-promise", "error", 73, 110, "It will be credited within 2 hours!!!"),
        ("exclamations", "warning", 108, 110, "!!"),
        ("caps", "warning", 111, 118, "NOTHING"),
        ("sign-off-missing", "warning", 128, 128, ""),
    ]
    assert findings[1].suggestion == "payment provider"


def test_russian_rules_and_spans() -> None:
    text = (
        "Привет, твой платеж завис из-за эквайера, вы сами виноваты. "
        "Деньги точно придут в течение 2 часов. ваш логин заблокирован"
    )
    assert _codes(text, "ru") == [
        ("greeting-missing", "warning", ""),
        ("informal-address", "error", "твой"),
        ("jargon", "error", "эквайера"),
        ("lowercase-formal-address", "warning", "вы"),
        ("blame", "error", "вы сами виноваты"),
        ("time-promise", "error", "Деньги точно придут в течение 2 часов."),
        ("lowercase-formal-address", "warning", "ваш"),
        ("sign-off-missing", "warning", ""),
    ]


@pytest.mark.parametrize(
    ("lang", "sentence", "code"),
    [
        ("en", "Your payment was flagged by our risk team.", "jargon"),
        ("en", "The webhook from the acquirer has not arrived.", "jargon"),
        ("en", "This is an AML check on your MID.", "jargon"),
        ("en", "As I already said, there is nothing we can do.", "banned-phrase"),
        ("en", "We guarantee it today.", "time-promise"),
        ("ru", "Сработал антифрод.", "jargon"),
        ("ru", "Колбэк от PSP не пришёл.", "jargon"),
        ("ru", "Как мы уже писали, ждите.", "banned-phrase"),
        ("ru", "Вы должны были указать карту.", "blame"),
        ("ru", "Деньги поступят сегодня.", "time-promise"),
    ],
)
def test_each_rule_triggers(lang: str, sentence: str, code: str) -> None:
    assert code in {f.code for f in lint_reply(sentence, lang=lang)}


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("en", "Hi Tom, payouts usually arrive within 2 days. Kind regards, the Support Team"),
        ("en", "Hi Tom, we expect the refund will reach you within 5 business days. Thanks"),
        ("ru", "Здравствуйте! Обычно деньги поступают в течение 2 часов. С уважением, служба поддержки"),
        ("ru", "Здравствуйте! Ожидаем, что деньги поступят завтра. Спасибо"),
    ],
)
def test_hedged_times_are_fine(lang: str, sentence: str) -> None:
    assert lint_reply(sentence, lang=lang) == []


def test_length_and_empty() -> None:
    long_reply = "Hi Tom, " + "we are checking your payment. " * 60 + "Kind regards, the Support Team"
    [finding] = lint_reply(long_reply, lang="en")
    assert (finding.code, finding.severity, finding.start, finding.end) == ("too-long", "error", 1600, len(long_reply))
    assert _codes("   ", "en") == [("empty", "error", "   ")]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown reply language 'de'"):
        lint_reply("Hallo", lang="de")


def test_a_broken_guide_is_refused_naming_the_rule(tmp_path: Path) -> None:
    edited = GUIDE_PATH.read_text(encoding="utf-8").replace(r"'\bPSPs?\b'", "'(PSP'", 1)
    path = tmp_path / "guide.yaml"
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(ValidationError, match=r"en\.jargon\.terms\[0\] has a broken pattern '\(PSP'"):
        load_guide(path)
    path.write_text("en: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="has no section for 'en'"):
        load_guide(path)


def test_an_edited_guide_changes_the_findings(tmp_path: Path) -> None:
    edited = GUIDE_PATH.read_text(encoding="utf-8").replace(r"'\bno problem\b'", r"'\bcheers\b'", 1)
    path = tmp_path / "guide.yaml"
    path.write_text(edited, encoding="utf-8")
    reply = "Hi Tom, cheers, no problem. Kind regards, the Support Team"
    assert [f.text for f in lint_reply(reply, lang="en", guide=load_guide(path))] == ["cheers"]
    assert [f.text for f in lint_reply(reply, lang="en")] == ["no problem"]


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root, so `lint-reply` stays a sub-command as in the real CLI."""

    register(app)
    return app


def test_cli_json_and_exit_status(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("Hi Tom, the PSP is slow. Kind regards, the Support Team", encoding="utf-8")
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "en", str(bad), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "lang": "en",
        "errors": 1,
        "warnings": 0,
        "findings": [
            {
                "code": "jargon",
                "severity": "error",
                "message": "internal jargon the player must not see",
                "start": 12,
                "end": 15,
                "text": "PSP",
                "suggestion": "payment provider",
            }
        ],
    }
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "ru", "-", "--json"], input=GOOD_RU)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"lang": "ru", "errors": 0, "warnings": 0, "findings": []}


def test_cli_warnings_only_exit_zero(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "en", "-"], input="Your deposit is confirmed.")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "0 error(s), 2 warning(s)"


def test_cli_refuses_bad_input(app: typer.Typer, tmp_path: Path) -> None:
    binary = tmp_path / "reply.bin"
    binary.write_bytes(b"Hi \xff\xfe")
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "en", str(binary)])
    assert isinstance(result.exception, CliError)
    assert str(result.exception) == f"{binary} is not UTF-8 text (bad byte at offset 3)"
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "de", str(binary)])
    assert str(result.exception) == "--lang 'de' is not supported: expected one of en, ru"
    result = CliRunner().invoke(app, ["lint-reply", "--lang", "en", str(tmp_path / "missing.txt")])
    assert str(result.exception) == f"cannot read {tmp_path / 'missing.txt'}: No such file or directory"

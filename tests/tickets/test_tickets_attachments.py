"""Attachments: sniffed types, size cap, disguised files refused with nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from paydesk.core import clock
from paydesk.payments.models import Player
from paydesk.tickets.attachments import AttachmentRefused, check_attachment, sniff
from paydesk.tickets.models import Attachment, Message, Ticket
from paydesk.tickets.services import IncomingFile, message_add, ticket_register
from tests.tickets.conftest import T0

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PAYDESK_ATTACHMENT_MAX_BYTES = 1024


def test_sniffing_reads_the_bytes() -> None:
    assert [sniff(PDF), sniff(JPEG), sniff(b"GIF89a...."), sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 "), sniff(EXE)] == [
        "application/pdf",
        "image/jpeg",
        "image/gif",
        "image/webp",
        None,
    ]


@pytest.mark.parametrize(
    ("name", "data", "declared", "message"),
    [
        ("a.png", EXE, None, "attachment 'a.png' is not an image (PNG, JPEG, GIF, WebP) or PDF"),
        ("a.jpg", PDF, None, "attachment 'a.jpg' is disguised: its name says .jpg but its content is application/pdf"),
        (
            "a.pdf",
            PDF,
            "image/png",
            "attachment 'a.pdf' is disguised: declared as image/png but its content is application/pdf",
        ),
        ("big.pdf", PDF + b"0" * 2000, None, "attachment 'big.pdf' is 2029 bytes; the limit is 1024 bytes"),
        ("empty.pdf", b"", None, "attachment 'empty.pdf' is empty"),
    ],
)
def test_refusals_name_the_problem(name: str, data: bytes, declared: str | None, message: str) -> None:
    with pytest.raises(AttachmentRefused) as caught:
        check_attachment(filename=name, data=data, declared_type=declared)
    assert caught.value.message == message


def test_path_in_file_name_is_dropped() -> None:
    assert check_attachment(filename="../../etc/receipt.pdf", data=PDF).filename == "receipt.pdf"


@pytest.mark.django_db
def test_a_refused_file_leaves_no_message_and_no_file(player: Player, tmp_path: Path) -> None:
    with clock.frozen(T0):
        ticket = ticket_register(subject="s", body="b", channel="webchat", player=player, acting_user=None)
    files = [IncomingFile("ok.pdf", PDF), IncomingFile("bad.png", EXE)]
    with pytest.raises(AttachmentRefused):
        message_add(
            ticket_id=ticket.pk,
            body="two files",
            author_player=player,
            channel="webchat",
            attachments=files,
            acting_user=None,
        )
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert Attachment.objects.count() == 0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert Ticket.objects.get(pk=ticket.pk).version == 2


@pytest.mark.django_db
def test_player_receipt_is_stored(player: Player) -> None:
    with clock.frozen(T0):
        ticket = ticket_register(
            subject="s",
            body="receipt attached",
            channel="webchat",
            player=player,
            acting_user=None,
            attachments=[IncomingFile("receipt.pdf", PDF, "application/pdf")],
        )
    attachment = Attachment.objects.get(message__ticket=ticket)
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "receipt.pdf",
        "application/pdf",
        len(PDF),
    )
    assert attachment.file.read() == PDF

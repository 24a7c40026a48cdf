"""Outbound delivery seam: how a public agent reply reaches the player through the ticket's channel.

Channels (web chat, Telegram, Jira) register a sender for their channel; ``message_add`` queues delivery with
``transaction.on_commit`` so a player never receives a reply whose transaction rolled back. A channel without a
sender (not configured, or not built yet) is logged and the desk carries on: the reply stays on the ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

Sender = Callable[[int], None]  # receives the Message id
_SENDERS: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    _SENDERS[channel] = sender


def unregister_sender(channel: str) -> None:
    _SENDERS.pop(channel, None)


def deliver(*, message_id: int, channel: str) -> bool:
    """Hand one stored message to its channel's sender; False when the channel has none or it failed."""
    sender = _SENDERS.get(channel)
    if sender is None:
        logger.info("no outbound sender for channel %s; message %s stays on the ticket only", channel, message_id)
        return False
    try:
        sender(message_id)
    except Exception:
        logger.exception("outbound delivery of message %s through %s failed", message_id, channel)
        return False
    return True

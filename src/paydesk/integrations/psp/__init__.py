"""PSP adapters: one folder per provider, each owning its signature check and its payload → ledger mapping.

``ADAPTERS`` is the registry the webhook endpoint dispatches on. An adapter verifies a raw body and cuts it into
``RawPspEvent``s (nothing is stored before the signature holds), and later maps a stored event's text to
``PspUpdate``s. Adapters are pure functions of their input: no database, no clock except the one passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from paydesk.integrations.ports import PspUpdate, RawPspEvent
from paydesk.integrations.psp import adyen, generic, stripe


@dataclass(frozen=True, slots=True)
class Adapter:
    name: str
    setting_name: str  # the settings/env name holding the secret; unset = adapter off
    signature_header: str
    verify_and_split: Callable[[bytes, Mapping[str, str], str, float], list[RawPspEvent]]
    map_event: Callable[[str], list[PspUpdate]]
    ack_body: str
    ack_content_type: str
    check_secret: Callable[[str], str | None]  # None when usable, else what is wrong with it


ADAPTERS: dict[str, Adapter] = {
    "stripe": Adapter(
        name="stripe",
        setting_name="PAYDESK_STRIPE_WEBHOOK_SECRET",
        signature_header=stripe.SIGNATURE_HEADER,
        verify_and_split=stripe.verify_and_split,
        map_event=stripe.map_event,
        ack_body='{"received": true}',
        ack_content_type="application/json",
        check_secret=lambda secret: None,
    ),
    "adyen": Adapter(
        name="adyen",
        setting_name="PAYDESK_ADYEN_HMAC_KEY",
        signature_header="",
        verify_and_split=adyen.verify_and_split,
        map_event=adyen.map_event,
        # Adyen's contract: the literal text "[accepted]" acknowledges the whole batch.
        ack_body="[accepted]",
        ack_content_type="text/plain",
        check_secret=adyen.check_key,
    ),
    "generic": Adapter(
        name="generic",
        setting_name="PAYDESK_GENERIC_WEBHOOK_SECRET",
        signature_header=generic.SIGNATURE_HEADER,
        verify_and_split=generic.verify_and_split,
        map_event=generic.map_event,
        ack_body='{"received": true}',
        ack_content_type="application/json",
        check_secret=lambda secret: None,
    ),
}

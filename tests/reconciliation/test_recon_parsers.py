"""Every real PSP report sample parses, with its row count and per-currency gross totals exact.

The expected numbers were worked out by reading the files (csv + Decimal, by the format's rules), not by running
the parser: e.g. Adyen batch_380 is 220 Settled + 6 Refunded + Fee + MerchantPayout = 228 rows and its USD gross
(credit − debit, the net for the fee and payout lines) sums to 389.63.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from paydesk.core.money import format_minor
from paydesk.reconciliation.parsers import parse_report
from paydesk.reconciliation.schema import REPORT_SCHEMA

# (psp, file under psp_reports/, rows, {currency: gross total})
SAMPLES: list[tuple[str, str, int, dict[str, str]]] = [
    ("adyen", "adyen_settlement_detail_report_batch_238.csv", 3, {"USD": "0.00"}),
    ("adyen", "adyen_settlement_detail_report_batch_380.csv", 228, {"USD": "389.63"}),
    ("adyen", "smashpig/adyen__payments_accounting_report_chargeback.csv", 1, {"USD": "-23.87"}),
    ("adyen", "smashpig/adyen__payments_accounting_report_gravy_chargeback.csv", 1, {"USD": "-9.74"}),
    ("adyen", "smashpig/adyen__payments_accounting_report_nyce.csv", 4, {"USD": "41.22"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_chargeback.csv", 3, {"USD": "-6.83"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_chargeback_reversed.csv", 1, {"USD": "52.00"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_deposit_correction.csv", 2, {"USD": "-200.00"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_donation-ach.csv", 2, {"USD": "0.22"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_donation-ideal.csv", 2, {"EUR": "5.35", "USD": "-0.76"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_donation.csv", 2, {"USD": "0.24"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_donation_reordered.csv", 2, {"USD": "0.24"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_emptynetcredit.csv", 1, {"INR": "10.00"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_ignore.csv", 2, {"USD": "0.24"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_invoice_deduction.csv", 2, {"USD": "-0.03"}),
    ("adyen", "smashpig/adyen__settlement_detail_report_refund.csv", 3, {"USD": "-6.83"}),
    ("stripe", "smashpig/stripe__payments_activity.csv", 2, {"USD": "0.00"}),
    ("stripe", "smashpig/stripe__settlement_report.csv", 7, {"USD": "51.35"}),
    ("stripe", "smashpig/stripe__settlement_report_giving_basket.csv", 2, {"USD": "1805.11"}),
    ("stripe", "smashpig/stripe__settlement_report_with_customer_data.csv", 3, {"USD": "34.50"}),
    ("checkout", "smashpig/checkoutcom__payouts_ent_testcheckoutfixture_20260701_20260702.csv", 1, {"USD": "79.51"}),
    (
        "checkout",
        "smashpig/checkoutcom__settlement-breakdown_ent_testcheckoutfixture_20260702_00000003k599_1.csv",
        9,
        {"USD": "85.00"},
    ),
    ("paypal", "paypal_activity_en.csv", 76, {"AUD": "0.00", "EUR": "43.34", "USD": "2927.78"}),
    ("paypal", "paypal_empty_activity.csv", 0, {}),
    ("paypal", "paypal_statement_en.csv", 19, {"EUR": "0.00", "USD": "1096.80"}),
    ("paypal", "paypal_statement_es.csv", 4, {"EUR": "136.44"}),
    ("paypal", "smashpig/paypal__sar_classic_subscr_cancel.csv", 1, {}),
    ("paypal", "smashpig/paypal__sar_classic_subscr_signup.csv", 1, {}),
    ("paypal", "smashpig/paypal__stl.csv", 5, {"AUD": "57.35", "GBP": "6.00"}),
    ("paypal", "smashpig/paypal__stl_brl_refund.csv", 3, {"BRL": "-3.38", "USD": "-2.11"}),
    ("paypal", "smashpig/paypal__stl_chargeback_reversal.csv", 2, {"USD": "46.00"}),
    ("paypal", "smashpig/paypal__stl_chargeback_with_fee.csv", 2, {"USD": "-23.00"}),
    ("paypal", "smashpig/paypal__stl_currency_convert.csv", 3, {"BRL": "3.60", "USD": "3.27"}),
    ("paypal", "smashpig/paypal__stl_dr_payment.csv", 2, {"USD": "370.00"}),
    ("paypal", "smashpig/paypal__stl_payout_currency_convert.csv", 3, {"AUD": "100.00", "USD": "120.00"}),
    ("paypal", "smashpig/paypal__trr_dr_payment.csv", 1, {"USD": "-150.00"}),
    ("paypal", "smashpig/paypal__trr_express_checkout_donation.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_express_checkout_donation_denied.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_express_checkout_recurring_donation.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_express_checkout_recurring_refund.csv", 1, {"JPY": "-150"}),
    ("paypal", "smashpig/paypal__trr_express_checkout_refund.csv", 1, {"JPY": "-150"}),
    ("paypal", "smashpig/paypal__trr_express_with_non_data_rows.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_give_lively.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_giving_fund.csv", 1, {"JPY": "150"}),
    ("paypal", "smashpig/paypal__trr_grant.csv", 1, {"USD": "500.00"}),
    ("paypal", "smashpig/paypal__trr_gravy_donation.csv", 1, {"BRL": "32.00"}),
    ("paypal", "smashpig/paypal__trr_void.csv", 2, {"CAD": "31.20"}),
    (
        "dlocal",
        "smashpig/dlocal__Wikimedia_Settlement_Reports_20260110.csv",
        6,
        {"BRL": "198.75", "MXN": "70.00", "USD": "-2.38"},
    ),
    ("dlocal", "smashpig/dlocal__chargebacks.csv", 1, {"BRL": "-5.00"}),
    ("dlocal", "smashpig/dlocal__donation.csv", 1, {"BRL": "5.00"}),
    ("dlocal", "smashpig/dlocal__refund.csv", 1, {"BRL": "-5.00"}),
    ("trustly", "smashpig/trustly__P11KFUN-3618-20260201120000-20260202120000-0001of0001.csv", 3, {"USD": "1724.05"}),
    ("trustly", "smashpig/trustly__P11KFUN-3618-r-code-reversal.csv", 3, {"USD": "-0.01"}),
    ("trustly", "smashpig/trustly__P11KFUN-3618-recurring-series-collision.csv", 4, {"USD": "0.00"}),
    ("trustly", "smashpig/trustly__P11KFUN-3618-refund-long-merchant-reference.csv", 2, {"USD": "-10.00"}),
    ("trustly", "smashpig/trustly__P11KREC-3618-20260201120000-20260202120000-0001of0001.csv", 2, {"USD": "7.75"}),
]


def _totals(frame: pl.DataFrame) -> dict[str, str]:
    sums = frame.filter(pl.col("amount_minor").is_not_null()).group_by("currency").agg(pl.col("amount_minor").sum())
    return {row[0]: format_minor(row[1], row[0]) for row in sums.iter_rows()}


def test_every_sample_is_listed(shared_data: Path) -> None:
    on_disk = {
        str(path.relative_to(shared_data / "psp_reports")) for path in (shared_data / "psp_reports").rglob("*.csv")
    }
    assert on_disk == {name for _, name, _, _ in SAMPLES}


@pytest.mark.parametrize(("psp", "name", "rows", "totals"), SAMPLES, ids=[s[1].split("/")[-1] for s in SAMPLES])
def test_sample_parses_exactly(shared_data: Path, psp: str, name: str, rows: int, totals: dict[str, str]) -> None:
    frame = parse_report(psp, shared_data / "psp_reports" / name)
    assert frame.schema == pl.Schema(REPORT_SCHEMA)
    assert frame.height == rows
    assert _totals(frame) == totals
    assert frame["source_row"].is_unique().all()


def test_adyen_batch_380_lines(shared_data: Path) -> None:
    frame = parse_report("adyen", shared_data / "psp_reports/adyen_settlement_detail_report_batch_380.csv")
    kinds = dict(frame.group_by("record_type").len().iter_rows())
    assert kinds == {"payment": 220, "refund": 6, "fee": 1, "payout": 1}
    first = frame.row(0, named=True)
    # 31.45 gross, fees 0.16 + 0.05 + 0.09, net 31.15; booked 2021-01-06 23:50 CET.
    assert (first["psp_reference"], first["merchant_reference"]) == ("1829098024817852", "CM1000028854")
    assert (first["amount_minor"], first["fee_minor"], first["net_minor"]) == (3145, 30, 3115)
    assert first["booked_at"].isoformat() == "2021-01-06T22:50:00+00:00"
    assert first["method"] == "card"
    payout = frame.filter(pl.col("record_type") == "payout").row(0, named=True)
    assert (payout["amount_minor"], payout["currency"]) == (-5530807, "USD")


def test_adyen_reordered_columns_map_by_name(shared_data: Path) -> None:
    base = shared_data / "psp_reports/smashpig"
    plain = parse_report("adyen", base / "adyen__settlement_detail_report_donation.csv")
    reordered = parse_report("adyen", base / "adyen__settlement_detail_report_donation_reordered.csv")
    assert plain.equals(reordered)
    assert plain["psp_reference"].to_list() == ["5364893193133131", None]


def test_adyen_fx_line_keeps_both_currencies(shared_data: Path) -> None:
    frame = parse_report(
        "adyen", shared_data / "psp_reports/smashpig/adyen__settlement_detail_report_donation-ideal.csv"
    )
    line = frame.row(0, named=True)
    assert (line["amount_minor"], line["currency"]) == (535, "EUR")
    assert (line["fee_minor"], line["net_minor"], line["net_currency"]) == (27, 543, "USD")


def test_paypal_stl_records_and_t_codes(shared_data: Path) -> None:
    frame = parse_report("paypal", shared_data / "psp_reports/smashpig/paypal__stl.csv")
    assert frame["record_type"].to_list() == ["payment", "payment", "payment", "refund", "payout"]
    refund = frame.row(3, named=True)
    # T1107 DR 1.34 GBP, fee credited back 0.47: the refund points at payment 99900, its own id is 6899.
    assert (refund["psp_reference"], refund["modification_reference"]) == ("99900", "6899")
    assert (refund["amount_minor"], refund["fee_minor"], refund["net_minor"]) == (-134, -47, -87)
    assert refund["source_row"] == 6


def test_paypal_denied_payment_moves_no_money(shared_data: Path) -> None:
    base = shared_data / "psp_reports/smashpig"
    denied = parse_report("paypal", base / "paypal__trr_express_checkout_donation_denied.csv")
    settled = parse_report("paypal", base / "paypal__trr_express_checkout_donation.csv")
    assert denied["record_type"].to_list() == ["other"]
    assert settled["record_type"].to_list() == ["payment"]
    assert settled.row(0, named=True)["fee_minor"] == 43  # ¥43: PayPal writes it as 4300


def test_paypal_spanish_statement_amounts(shared_data: Path) -> None:
    frame = parse_report("paypal", shared_data / "psp_reports/paypal_statement_es.csv")
    assert frame["amount_minor"].to_list() == [4937, 2882, 3578, 2247]
    assert frame["fee_minor"].to_list() == [178, 119, 139, 100]
    assert frame["booked_at"][0].isoformat() == "2020-01-02T10:05:56+00:00"  # Europe/Berlin, winter


def test_dlocal_sub_cent_usd_is_not_rounded(shared_data: Path) -> None:
    frame = parse_report(
        "dlocal", shared_data / "psp_reports/smashpig/dlocal__Wikimedia_Settlement_Reports_20260110.csv"
    )
    capture = frame.filter(pl.col("psp_reference") == "T-648-x1438o").row(0, named=True)
    assert (capture["amount_minor"], capture["currency"]) == (17000, "BRL")
    assert capture["fee_minor"] is None  # -0.057909 USD has no exact cents
    fee = frame.filter(pl.col("raw_status") == "SETTLEMENT_FEE").row(0, named=True)
    assert (fee["record_type"], fee["fee_minor"], fee["net_minor"]) == ("fee", 8000, -8000)


def test_summed_fees_match_file_components(shared_data: Path) -> None:
    frame = parse_report("adyen", shared_data / "psp_reports/adyen_settlement_detail_report_batch_380.csv")
    payments = frame.filter(pl.col("record_type") == "payment")
    # Gross - fees = net on every sales line (the report's own invariant).
    assert (payments["amount_minor"] - payments["fee_minor"] == payments["net_minor"]).all()
    assert Decimal(format_minor(int(payments["fee_minor"].sum()), "USD")) > 0

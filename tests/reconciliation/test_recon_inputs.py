"""Exact amounts and refusals of unreadable input: every refusal names the file, row and column."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import MoneyError, parse_minor
from paydesk.reconciliation.amounts import convert, to_minor
from paydesk.reconciliation.errors import ReportError
from paydesk.reconciliation.fees import load_fees
from paydesk.reconciliation.ledger import read_ledger_csv
from paydesk.reconciliation.parsers import parse_report
from paydesk.reconciliation.parsers.generic import load_mapping
from tests.reconciliation.helpers import LEDGER_HEADER, adyen_line, ledger_row, write_adyen, write_ledger

amount_text = st.from_regex(r"-?[0-9]{0,12}(\.[0-9]{0,10})?", fullmatch=True) | st.text(
    alphabet="0123456789.-+, e", max_size=8
)


@given(values=st.lists(st.tuples(amount_text, st.sampled_from(["EUR", "JPY", "BHD", "BTC", "USDT"])), max_size=20))
def test_vectorized_conversion_agrees_with_parse_minor(values: list[tuple[str, str]]) -> None:
    expected: list[int | None] = []
    failure = None
    for index, (value, currency) in enumerate(values):
        if not value.strip():
            expected.append(None)
            continue
        try:
            # Reports write ".11" for 0.11 (Adyen); the vectorized reader accepts that spelling too.
            text = value.strip()
            text = text.replace(".", "0.", 1) if text.startswith((".", "-.")) else text
            minor = parse_minor(text, currency)
            if abs(minor) >= 10**18:  # beyond 18 digits is refused rather than risking int64
                raise MoneyError("too large")
            expected.append(minor)
        except MoneyError:
            failure = failure if failure is not None else index
            expected.append(None)
    series = pl.Series([v for v, _ in values], dtype=pl.String)
    currencies = pl.Series([c for _, c in values], dtype=pl.String)
    rows = pl.Series(range(2, len(values) + 2), dtype=pl.Int64)
    if failure is None:
        assert to_minor(series, currencies, rows, path="f.csv", column="amount").to_list() == expected
    else:
        with pytest.raises(ReportError, match=r"^f\.csv, row \d+, column 'amount': "):
            to_minor(series, currencies, rows, path="f.csv", column="amount")


def test_over_precise_amount_is_refused_with_row_and_column(tmp_path: Path) -> None:
    path = write_adyen(tmp_path / "r.csv", [adyen_line("P1", "D1", "1.00"), adyen_line("P2", "D2", "1.005")])
    with pytest.raises(ReportError) as caught:
        parse_report("adyen", path)
    assert caught.value.message == (
        f"{path}, row 3, column 'Gross Credit (GC)': amount '1.005' has more decimal places than EUR allows (2); "
        "refusing to round"
    )


def test_unknown_currency_and_bad_date_are_refused(tmp_path: Path) -> None:
    bad_currency = write_adyen(tmp_path / "c.csv", [adyen_line("P1", "D1", "1.00", currency="EUX")])
    with pytest.raises(ReportError, match=r"c\.csv, row 2, column 'Gross Credit \(GC\)': unknown currency 'EUX'"):
        parse_report("adyen", bad_currency)
    bad_date = write_adyen(tmp_path / "d.csv", [adyen_line("P1", "D1", "1.00", created="02/03/2026")])
    with pytest.raises(ReportError, match=r"d\.csv, row 2, column 'Creation Date': cannot read date '02/03/2026'"):
        parse_report("adyen", bad_date)


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("reporting_category,gross,created\ncharge,1.00,2026-01-01 00:00:00\n")
    with pytest.raises(ReportError, match=r"s\.csv, row 1, column 'currency': required column is missing"):
        parse_report("stripe", path)
    with pytest.raises(ReportError, match=r"nope\.csv: file not found"):
        parse_report("stripe", tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ledger_row("D1", "P1", "1.001"), "row 2, column 'amount': amount '1.001' has more decimal places"),
        (ledger_row("D1", "P1", "-1.00"), "row 2, column 'amount': amount '-1.00' is negative"),
        (ledger_row("D1", "P1", "1,00"), "row 2, column 'amount': invalid amount '1,00'"),
        (ledger_row("D1", "P1", "1.00", kind="deposti"), "row 2, column 'kind': unknown kind 'deposti'"),
        (ledger_row("D1", "P1", "1.00", status="paid"), "row 2, column 'status': status 'paid' is not a deposit"),
        (ledger_row("D1", "P1", "1.00", status=" "), "row 2, column 'status': status None is not a deposit"),
        (ledger_row("D1", "P1", "1.00", created="yesterday"), "row 2, column 'created_at': cannot read time"),
        (ledger_row("", "P1", "1.00"), "row 2, column 'reference': reference is empty"),
    ],
)
def test_ledger_csv_refusals(tmp_path: Path, row: list[str], message: str) -> None:
    path = write_ledger(tmp_path / "ledger.csv", [row])
    with pytest.raises(ReportError) as caught:
        read_ledger_csv(path)
    assert caught.value.message.startswith(f"{path}, {message}")


def test_ledger_csv_duplicate_reference_and_missing_column(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "l.csv", [ledger_row("D1", "P1", "1.00"), ledger_row("D1", "P2", "2.00")])
    with pytest.raises(ReportError, match=r"l\.csv, row 3, column 'reference': reference 'D1' appears more than once"):
        read_ledger_csv(path)
    short = tmp_path / "short.csv"
    short.write_text(",".join(h for h in LEDGER_HEADER if h != "currency") + "\n")
    with pytest.raises(ReportError, match=r"short\.csv, row 1, column 'currency': required column is missing"):
        read_ledger_csv(short)


def test_ledger_csv_psp_reference_unique_per_psp(tmp_path: Path) -> None:
    fine = write_ledger(
        tmp_path / "fine.csv", [ledger_row("D1", "P1", "1.00"), ledger_row("D2", "P1", "1.00", psp="stripe")]
    )
    assert read_ledger_csv(fine).height == 2
    clash = write_ledger(tmp_path / "l.csv", [ledger_row("D1", "P1", "1.00"), ledger_row("D2", "P1", "2.00")])
    with pytest.raises(ReportError) as caught:
        read_ledger_csv(clash)
    assert (
        caught.value.message
        == f"{clash}, row 3, column 'psp_reference': psp_reference 'P1' of adyen appears more than once"
    )


def test_ledger_csv_any_column_order_and_iso_times(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "created_at,amount,currency,reference,kind,status,psp,psp_reference\n"
        "2026-03-02T10:00:00+03:00,0.00000001,btc,C1,deposit,credited,Adyen,P1\n"
        "2026-03-02 07:00:00,1500,JPY,C2,withdrawal,paid,adyen,P2\n"
    )
    frame = read_ledger_csv(path)
    assert frame.select("reference", "amount_minor", "currency", "psp").rows() == [
        ("C1", 1, "BTC", "adyen"),
        ("C2", 1500, "JPY", "adyen"),
    ]
    assert [t.isoformat() for t in frame["created_at"]] == ["2026-03-02T07:00:00+00:00"] * 2


def test_generic_csv_with_mapping(tmp_path: Path) -> None:
    report = tmp_path / "acme.csv"
    report.write_text(
        "Txn;Order;Betrag;Währung;Gebühr;Datum;Art\n"
        "A1;D1;1.234,50;EUR;1,20;02.03.2026 10:00;Verkauf\n"
        "A2;D2;10,00;EUR;0,00;02.03.2026 11:00;Erstattung\n"
    )
    mapping = tmp_path / "acme.yaml"
    mapping.write_text(
        "psp: acme\nseparator: ';'\ndecimal: ','\ngroup: '.'\ndate_format: '%d.%m.%Y %H:%M'\n"
        "timezone: Europe/Berlin\nrefunds_negative: true\n"
        "columns: {psp_reference: Txn, merchant_reference: Order, amount: Betrag, currency: Währung, "
        "fee: Gebühr, booked_at: Datum, type: Art}\n"
        "types: {Verkauf: payment, Erstattung: refund}\n"
    )
    frame = parse_report("generic", report, mapping=mapping)
    assert frame.select("psp", "record_type", "amount_minor", "fee_minor", "net_minor").rows() == [
        ("acme", "payment", 123450, 120, 123330),
        ("acme", "refund", -1000, 0, -1000),
    ]
    assert frame["booked_at"][0].isoformat() == "2026-03-02T09:00:00+00:00"


def test_generic_mapping_refusals(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {amount: A, colour: C, currency: X}\n")
    with pytest.raises(ReportError, match=r"unknown field\(s\) in `columns`: colour"):
        load_mapping(mapping)
    mapping.write_text("columns: {amount: A, currency: C}\ntypes: {Sale: sale}\n")
    with pytest.raises(ReportError, match=r"type 'Sale' maps to 'sale'"):
        load_mapping(mapping)


def test_fee_schedule_refusals(tmp_path: Path) -> None:
    fees = tmp_path / "f.yaml"
    fees.write_text("rules:\n  - {method: card, percent: '1.5', fixed: '0.10'}\n")
    with pytest.raises(ReportError, match=r"rule 1: `fixed` needs a `currency`"):
        load_fees(fees)
    fees.write_text("rules:\n  - {currency: JPY, percent: '1', fixed: '0.5'}\n")
    with pytest.raises(ReportError, match=r"rule 1: amount '0.5' has more decimal places than JPY allows"):
        load_fees(fees)


def test_generic_xlsx_with_mapping(tmp_path: Path) -> None:
    import xlsxwriter  # type: ignore[import-untyped]

    path = tmp_path / "psp.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Transactions")
    for col, name in enumerate(["Ref", "Order", "Amount", "Ccy", "When"]):
        sheet.write_string(0, col, name)
    sheet.write_row(1, 0, ["A1", "D1"])
    sheet.write_number(1, 2, 1234.5)  # a number cell
    sheet.write_row(1, 3, ["EUR", "2026-03-02 10:00:00"])
    sheet.write_row(2, 0, ["A2", "D2", "0.07", "JPY", "2026-03-02 11:00:00"])  # text cell, too precise for JPY
    book.close()
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "sheet: Transactions\ncolumns: {psp_reference: Ref, merchant_reference: Order, amount: Amount, "
        "currency: Ccy, booked_at: When}\n"
    )
    with pytest.raises(ReportError) as caught:
        parse_report("generic", path, mapping=mapping)
    assert caught.value.message == (
        f"{path}, row 3, column 'Amount': amount '0.07' has more decimal places than JPY allows (0); refusing to round"
    )
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Transactions")
    sheet.write_row(0, 0, ["Ref", "Order", "Amount", "Ccy", "When"])
    sheet.write_row(1, 0, ["A1", "D1"])
    sheet.write_number(1, 2, 1234.5)
    sheet.write_row(1, 3, ["EUR", "2026-03-02 10:00:00"])
    book.close()
    frame = parse_report("generic", path, mapping=mapping)
    assert frame.select("psp_reference", "amount_minor", "currency", "record_type", "source_row").rows() == [
        ("A1", 123450, "EUR", "payment", 2)
    ]


def test_garbage_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\xff\xfe garbage \x00\n\x01\x02")
    with pytest.raises(ReportError) as caught:
        parse_report("adyen", path)
    assert caught.value.message.startswith(f"{path}")
    assert "\n" not in caught.value.message


def test_dlocal_sub_cent_is_null_but_garbage_is_refused(tmp_path: Path) -> None:
    head = (
        "ROW_TYPE,SETTLEMENT_CURRENCY,NUMBER_OF_ITEMS,GROSS_TOTAL_AMOUNT,FEE_TOTAL_AMOUNT,NET_TOTAL_AMOUNT\n"
        "HEADER,USD,1,1,0,1\n"
        "ROW_TYPE,CREATION_DATE,TRANSACTION_ID,DLOCAL_TRANSACTION_ID,LOCAL_AMOUNT,LOCAL_CURRENCY,GROSS_AMOUNT,"
        "FEE_AMOUNT,NET_AMOUNT\n"
    )
    path = tmp_path / "dl.csv"
    path.write_text(head + "PAYMENT,2026-01-02 10:00:00,M1,D1,10,BRL,1.857909,-0.057909,1.8\n")
    frame = parse_report("dlocal", path)
    assert frame.select("amount_minor", "currency", "fee_minor", "net_minor").rows() == [(1000, "BRL", None, 180)]
    path.write_text(head + "ADJUSTMENT,2026-01-02 10:00:00,,D2,0,,two,0,-2\n")
    with pytest.raises(ReportError, match=r"dl\.csv, row 4, column 'GROSS_AMOUNT': invalid amount 'two' for USD"):
        parse_report("dlocal", path)


def test_ledger_statuses_are_the_machines_statuses() -> None:
    from paydesk.payments.enums import Kind
    from paydesk.payments.machines import machine_for
    from paydesk.reconciliation.ledger import KIND_STATUSES

    machines = {kind.value: frozenset(str(s) for s in machine_for(kind.value).statuses) for kind in Kind}
    assert machines == KIND_STATUSES
    assert list(KIND_STATUSES) == [kind.value for kind in Kind]


def test_ledger_csv_padded_cells_and_mixed_time_notations(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "reference,kind,status,amount,currency,psp,psp_reference,created_at,updated_at\n"
        "D1, Deposit ,CREDITED, 10.50\t,eur,Adyen,P1,  2026-03-02T09:00:00Z ,   \n"
        "D2,deposit,credited,1.230,EUR,adyen,P2,2026-03-02T09:00:00Z,2026-03-02T10:00:00+01:00\n"
        "D3,deposit,credited,7,EUR,adyen,,2026-03-02 09:00:00.5,2026-03-02T09:00:00Z\n"
    )
    frame = read_ledger_csv(path)
    assert frame.select("reference", "kind", "status", "amount_minor", "currency", "psp", "psp_reference").rows() == [
        ("D1", "deposit", "credited", 1050, "EUR", "adyen", "P1"),
        ("D2", "deposit", "credited", 123, "EUR", "adyen", "P2"),
        ("D3", "deposit", "credited", 700, "EUR", "adyen", None),
    ]
    assert [t.isoformat() for t in frame["created_at"]] == [
        "2026-03-02T09:00:00+00:00",
        "2026-03-02T09:00:00+00:00",
        "2026-03-02T09:00:00.500000+00:00",
    ]
    assert [t and t.isoformat() for t in frame["updated_at"]] == [
        None,
        "2026-03-02T09:00:00+00:00",
        "2026-03-02T09:00:00+00:00",
    ]


def test_ledger_time_of_the_usual_shape_but_no_real_date_is_refused(tmp_path: Path) -> None:
    rows = [ledger_row("D1", "P1", "1.00"), ledger_row("D2", "P2", "1.00", created="2026-02-30T10:00:00Z")]
    path = write_ledger(tmp_path / "l.csv", rows)
    with pytest.raises(ReportError) as caught:
        read_ledger_csv(path)
    assert caught.value.message.startswith(
        f"{path}, row 3, column 'created_at': cannot read time '2026-02-30T10:00:00Z'"
    )


def test_negative_padded_ledger_amount_is_named_without_its_padding(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "l.csv", [ledger_row("D1", "P1", "1.00"), ledger_row("D2", "P2", " -2.00 ")])
    with pytest.raises(ReportError) as caught:
        read_ledger_csv(path)
    assert caught.value.message == (
        f"{path}, row 3, column 'amount': amount '-2.00' is negative (ledger amounts are unsigned; the kind gives the "
        "direction)"
    )


def test_report_amounts_padded_or_with_trailing_zeros_stay_exact(tmp_path: Path) -> None:
    lines = [
        adyen_line("P1", "D1", "10.00"),
        adyen_line("P2", "D2", " 5.5 "),
        adyen_line("P3", "D3", "1.230"),
        adyen_line("P4", "D4", ".07"),
    ]
    frame = parse_report("adyen", write_adyen(tmp_path / "r.csv", lines))
    assert frame["amount_minor"].to_list() == [1000, 550, 123, 7]
    assert frame["net_minor"].to_list() == [1000, 550, 123, 7]
    padded = write_adyen(tmp_path / "p.csv", [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "D2", " 5.555 ")])
    with pytest.raises(ReportError) as caught:
        parse_report("adyen", padded)
    assert caught.value.message == (
        f"{padded}, row 3, column 'Gross Credit (GC)': amount '5.555' has more decimal places than EUR allows (2); "
        "refusing to round"
    )


def test_report_with_bytes_that_are_not_utf8_is_still_read(tmp_path: Path) -> None:
    path = write_adyen(tmp_path / "r.csv", [adyen_line("P1", "D1", "10.00"), adyen_line("P2", "Dx", "2.50")])
    path.write_bytes(path.read_bytes().replace(b",Dx,", b",D\xfc,"))  # Latin-1 "ü" in a UTF-8 file
    frame = parse_report("adyen", path)
    assert frame.select("merchant_reference", "amount_minor").rows() == [("D1", 1000), ("D\ufffd", 250)]


@pytest.mark.parametrize("value", ["1" * 36, "1" * 36 + ".5", "-" + "9" * 37])
@pytest.mark.parametrize("currencies", [["EUR"], ["EUR", "EUR", "JPY"]])
def test_an_amount_too_big_for_a_decimal_is_refused_by_name(value: str, currencies: list[str]) -> None:
    """36–38 digits fit Polars' Decimal(38, k) but not its product with 10**k: refused like any oversized amount."""
    frame = pl.DataFrame(
        {"source_row": [2, 3, 4][: len(currencies)], "amount": [value] * len(currencies), "currency": currencies}
    )

    with pytest.raises(ReportError) as raised:
        convert(frame, {"amount_minor": ("amount", "currency")}, path="settlement.csv")

    assert str(raised.value) == (
        f"settlement.csv, row 2, column 'amount': amount {value!r} is too large (more than 18 digits)"
    )

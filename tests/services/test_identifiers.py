"""GTINs, serials, unit codes and GS1 Digital Link URIs, cross-checked with the biip parser."""

import string

import biip
import pytest
from hypothesis import given
from hypothesis import strategies as st

from maintenance.services.identifiers import (
    CHARSET_82,
    UNIT_CODE_ALPHABET,
    UNIT_CODE_LENGTH,
    DigitalLink,
    IdentifierError,
    gtin_check_digit,
    gtin_is_valid,
    model_uri,
    new_unit_code,
    normalize_gtin,
    normalize_unit_code,
    parse_digital_link_path,
    unit_code_is_valid,
    unit_uri,
    validate_serial,
)

BASE = "https://onderhoud.example.nl"
GTIN = "08712345678906"


def biip_values(uri: str) -> dict[str, str]:
    """The application identifiers and values biip reads from a Digital Link URI."""
    result = biip.parse(uri)
    assert result.gs1_digital_link_uri is not None, result.gs1_digital_link_uri_error
    return {es.ai.ai: es.value for es in result.gs1_digital_link_uri.element_strings}


# --- GTIN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "digit"),
    [
        ("400638133393", 1),  # GTIN-13 4006381333931
        ("0871234567890", 6),  # GTIN-14 08712345678906
        ("0950600013435", 2),  # GS1's example GTIN 09506000134352
        ("9638507", 4),  # GTIN-8 96385074
        ("03600029145", 2),  # UPC-A 036000291452
        ("000000000000", 0),
    ],
)
def test_check_digit_of_known_gtins(body: str, digit: int) -> None:
    assert gtin_check_digit(body) == digit
    assert gtin_is_valid(body + str(digit))


def test_check_digit_refuses_non_digits() -> None:
    with pytest.raises(IdentifierError):
        gtin_check_digit("12a4")


@pytest.mark.parametrize(
    ("text", "gtin14"),
    [
        ("96385074", "00000096385074"),
        ("036000291452", "00036000291452"),
        ("4006381333931", "04006381333931"),
        ("08712345678906", "08712345678906"),
        (" 8712345 678906 ", "08712345678906"),
    ],
)
def test_normalize_gtin_pads_to_14_digits(text: str, gtin14: str) -> None:
    assert normalize_gtin(text) == gtin14


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("4006381-333931", "only digits"),
        ("400638133393\uff11", "only digits"),  # fullwidth digit one
        ("40063813339", "has 11 digits"),
        ("400638133393100", "has 15 digits"),
        ("4006381333932", "should be 1, not 2"),
    ],
)
def test_normalize_gtin_says_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        normalize_gtin(text)
    assert not gtin_is_valid(text)


# --- unit codes -----------------------------------------------------------------------------


def test_new_unit_codes_are_short_unambiguous_and_distinct() -> None:
    codes = {new_unit_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == UNIT_CODE_LENGTH
        assert set(code) <= set(UNIT_CODE_ALPHABET)
        assert not set(code) & set("0O1IL5S2Z8BUV")
        assert normalize_unit_code(code) == code


def test_unit_code_typed_by_a_person_is_normalized() -> None:
    assert normalize_unit_code(" k7hq-3mxr 4p") == "K7HQ3MXR4P"
    assert unit_code_is_valid("K7HQ-3MXR-4P")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("K7HQ3MXR4", "has 9 characters"),
        ("K7HQ3MXR4PP", "has 11 characters"),
        ("K7HQ3MXR4O", "contains 'O'"),
        ("K7HQ3MXR41", "contains '1'"),
        ("K7HQ3MXR4_", "contains '_'"),
    ],
)
def test_bad_unit_code_is_refused(text: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        normalize_unit_code(text)
    assert not unit_code_is_valid(text)


# --- serials --------------------------------------------------------------------------------


def test_serial_keeps_every_character_of_set_82() -> None:
    allowed = "".join(sorted(CHARSET_82))
    assert "/" in allowed and len(allowed) == 82
    for start in range(0, len(allowed), 20):
        chunk = allowed[start : start + 20]
        assert validate_serial(chunk) == chunk


def test_serial_loses_whitespace_a_scanner_adds() -> None:
    assert validate_serial("ABC123\r\n") == "ABC123"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("A" * 21, "21 characters"),
        ("AB\tC", "control character"),
        ("AB\x00C", "control character"),
        ("AB C", "space"),
        ("\u0391BC", "GREEK CAPITAL LETTER ALPHA"),
        ("\uff21BC", "looks like 'A'"),
        ("café", "LATIN SMALL LETTER E WITH ACUTE"),
        ("AB~C", "'~'"),
        ("AB#C", "'#'"),
        ("..", "cannot be"),
    ],
)
def test_bad_serial_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        validate_serial(text)


# --- Digital Link URIs ----------------------------------------------------------------------


def test_unit_uri_with_serial() -> None:
    uri = unit_uri(BASE + "/", "8712345678906", serial="SN-2024.001_a")
    assert uri == f"{BASE}/01/{GTIN}/21/SN-2024.001_a"
    assert biip_values(uri) == {"01": GTIN, "21": "SN-2024.001_a"}


def test_unit_uri_percent_encodes_reserved_characters() -> None:
    uri = unit_uri(BASE, GTIN, serial="A%B&C?D\"E'F")
    assert uri == f"{BASE}/01/{GTIN}/21/A%25B%26C%3FD%22E%27F"
    assert biip_values(uri) == {"01": GTIN, "21": "A%B&C?D\"E'F"}


def test_unit_uri_with_unit_code() -> None:
    uri = unit_uri(BASE, GTIN, unit_code="k7hq-3mxr4p")
    assert uri == f"{BASE}/01/{GTIN}/235/K7HQ3MXR4P"
    assert biip_values(uri) == {"01": GTIN, "235": "K7HQ3MXR4P"}


def test_model_uri() -> None:
    uri = model_uri(BASE, "96385074")
    assert uri == f"{BASE}/01/00000096385074"
    assert biip_values(uri) == {"01": "00000096385074"}


@pytest.mark.parametrize(
    "kwargs", [{}, {"serial": "ABC", "unit_code": "K7HQ3MXR4P"}], ids=["neither", "both"]
)
def test_unit_uri_needs_exactly_one_of_serial_or_code(kwargs: dict[str, str]) -> None:
    with pytest.raises(IdentifierError, match="exactly one"):
        unit_uri(BASE, GTIN, **kwargs)


def test_unit_uri_refuses_a_wrong_check_digit() -> None:
    with pytest.raises(IdentifierError, match="should be 6"):
        unit_uri(BASE, "08712345678907", serial="ABC")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/01/{GTIN}", DigitalLink(GTIN)),
        ("/01/4006381333931", DigitalLink("04006381333931")),
        (f"/01/{GTIN}/21/ABC123", DigitalLink(GTIN, serial="ABC123")),
        (f"/01/{GTIN}/21/A%3fB%25", DigitalLink(GTIN, serial="A?B%")),
        (f"/01/{GTIN}/21/A!B", DigitalLink(GTIN, serial="A!B")),  # not encoded: still accepted
        (f"/01/{GTIN}/21/SN%2F0001", DigitalLink(GTIN, serial="SN/0001")),
        (f"/01/{GTIN}/21/%2f%2F", DigitalLink(GTIN, serial="//")),
        (f"/01/{GTIN}/21/..%2F..", DigitalLink(GTIN, serial="../..")),
        (f"/01/{GTIN}/235/K7HQ3MXR4P", DigitalLink(GTIN, unit_code="K7HQ3MXR4P")),
        (f"/01/{GTIN}/235/k7hq3mxr4p", DigitalLink(GTIN, unit_code="K7HQ3MXR4P")),
    ],
)
def test_parse_accepts_valid_paths(path: str, expected: DigitalLink) -> None:
    assert parse_digital_link_path(path) == expected


def test_parse_gives_the_canonical_path_for_a_redirect() -> None:
    assert parse_digital_link_path(f"/01/{GTIN}/21/A!B").path == f"/01/{GTIN}/21/A%21B"
    assert parse_digital_link_path("/01/96385074").path == "/01/00000096385074"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "must start with '/'"),
        (f"01/{GTIN}", "must start with '/'"),
        ("/", "empty segment"),
        ("/01", "no GTIN"),
        (f"/414/{GTIN}", r"unknown primary key '414' \(GLN\)"),
        (f"/gtin/{GTIN}", "unknown primary key 'gtin'"),
        ("/01/08712345678907", "should be 6, not 7"),
        ("/01/0871234567890", "should be 4, not 0"),  # read as a GTIN-13
        ("/01/87123456789", "11 digits"),
        ("/01/0871234567890X", "only digits"),
        (f"/01/{GTIN}/", "empty segment"),
        (f"/01//{GTIN}", "empty segment"),
        (f"//01/{GTIN}", "empty segment"),
        (f"/01/{GTIN}/21", "without a value"),
        (f"/01/{GTIN}/21/ABC/22/X", "exactly one of 21"),
        (f"/01/{GTIN}/21/SN/0001", "'/' inside a serial is written %2F"),
        (f"/01/{GTIN}/21/ABC/235/K7HQ3MXR4P", "exactly one of 21"),
        (f"/01/{GTIN}/235/K7HQ3MXR4P/21/ABC", "exactly one of 21"),
        (f"/01/{GTIN}/10/LOT1", r"'10' \(batch/lot\) is not supported"),
        (f"/01/{GTIN}/22/V1", "not supported"),
        (f"/01/{GTIN}/21/A%5CB", "REVERSE SOLIDUS"),
        (f"/01/{GTIN}/21/A%23B", "'#'"),
        (f"/01/{GTIN}/21/A%7EB", "'~'"),
        (f"/01/{GTIN}/2%2F1/AB", "qualifier '2/1' is not supported"),
        (f"/01/{GTIN}%2F21/AB", "only digits"),
        (f"/01/{GTIN}/235/K7HQ3%2FMXR4", "contains '/'"),
        (f"/01/{GTIN}/21/..", "'..'"),
        (f"/01/{GTIN}/21/%2E%2e", "'..'"),
        (f"/01/{GTIN}/21/./ABC", "'.'"),
        (f"/01/{GTIN}/21/A%00B", "NUL"),
        (f"/01/{GTIN}/21/A\x00B", "NUL"),
        (f"/01/{GTIN}/21/A%G0", "malformed"),
        (f"/01/{GTIN}/21/A%", "malformed"),
        (f"/01/{GTIN}/21/caf%C3%A9", "outside ASCII"),
        (f"/01/{GTIN}/21/café", "LATIN SMALL LETTER E WITH ACUTE"),
        (f"/01/{GTIN}/21/A%20B", "space"),
        (f"/01/{GTIN}/21/%20AB", "whitespace"),
        (f"/01/{GTIN}/21/A~B", "'~'"),
        (f"/01/{GTIN}/21/{'A' * 21}", "21 characters"),
        (f"/01/{GTIN}/235/K7HQ3MXR4", "9 characters"),
        (f"/01/{GTIN}/235/K7HQ3MXR4O", "contains 'O'"),
        (f"/01/{GTIN}/235/K7HQ-3MXR4P", "spaces or dashes"),
        (f"/01/{GTIN}?linkType=all", "contains '?'"),
    ],
)
def test_parse_refuses(path: str, reason: str) -> None:
    with pytest.raises(IdentifierError, match=reason):
        parse_digital_link_path(path)


def test_biip_accepts_a_wrong_check_digit_that_we_refuse() -> None:
    # biip reports the GTIN error but still parses the URI, so our own check is what protects us.
    uri = f"{BASE}/01/08712345678907/21/ABC"
    assert biip.parse(uri).gs1_digital_link_uri is not None
    with pytest.raises(IdentifierError, match="check digit"):
        parse_digital_link_path(uri.removeprefix(BASE))


serials = st.text(alphabet=sorted(CHARSET_82), min_size=1, max_size=20).filter(
    lambda s: s not in (".", "..")
)


@given(serial=serials)
def test_serial_round_trips_through_the_uri(serial: str) -> None:
    uri = unit_uri(BASE, GTIN, serial=serial)
    assert set(uri.removeprefix(BASE)) <= set(string.ascii_letters + string.digits + "-._~/%")
    assert parse_digital_link_path(uri.removeprefix(BASE)) == DigitalLink(GTIN, serial=serial)
    assert biip_values(uri) == {"01": GTIN, "21": serial}


@given(code=st.text(alphabet=UNIT_CODE_ALPHABET, min_size=10, max_size=10))
def test_unit_code_round_trips_through_the_uri(code: str) -> None:
    uri = unit_uri(BASE, GTIN, unit_code=code)
    assert parse_digital_link_path(uri.removeprefix(BASE)) == DigitalLink(GTIN, unit_code=code)
    assert biip_values(uri) == {"01": GTIN, "235": code}

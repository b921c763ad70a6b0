"""GS1 identifiers: GTIN check digits, serials, service-issued unit codes and Digital Link URIs."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote

# Messages about what a person types or scans (GTIN, serial, unit code) reach the till and other
# forms, so they are worded in the current language (English when no app is running); those
# about the structure of a Digital Link path stay English.
from flask_babel import gettext as _

GTIN_LENGTHS = (8, 12, 13, 14)

# GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
CHARSET_82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
SERIAL_MAX_LENGTH = 20  # AI 21 is X..20
SERIAL_SIGNS = "".join(sorted(c for c in CHARSET_82 if not c.isalnum()))

# Unit codes are read aloud and typed from labels, so leave out characters that look alike:
# 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V. 23 symbols, 10 of them give about 45 bits.
UNIT_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
UNIT_CODE_LENGTH = 10

AI_GTIN = "01"
AI_SERIAL = "21"
AI_UNIT_CODE = "235"
AI_NAMES = {
    "00": "SSCC",
    "01": "GTIN",
    "10": "batch/lot",
    "21": "serial",
    "22": "consumer product variant",
    "235": "unit code",
    "253": "GDTI",
    "255": "GCN",
    "401": "GINC",
    "402": "GSIN",
    "414": "GLN",
    "417": "party GLN",
    "8003": "GRAI",
    "8004": "GIAI",
    "8006": "ITIP",
    "8010": "CPID",
    "8013": "GMN",
    "8017": "GSRN provider",
    "8018": "GSRN recipient",
}

# One path segment of an RFC 3986 URI: unreserved, sub-delims, ":" and "@", or a %XX escape.
_PCHAR_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")


class IdentifierError(ValueError):
    """An identifier or Digital Link path that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class DigitalLink:
    """A parsed GS1 Digital Link: a model (GTIN only) or a unit (GTIN plus serial or unit code)."""

    gtin: str
    serial: str | None = None
    unit_code: str | None = None

    @property
    def path(self) -> str:
        """The canonical path, e.g. `/01/08712345678906/21/ABC123`."""
        path = f"/{AI_GTIN}/{self.gtin}"
        if self.serial is not None:
            path += f"/{AI_SERIAL}/{encode_path_value(self.serial)}"
        elif self.unit_code is not None:
            path += f"/{AI_UNIT_CODE}/{self.unit_code}"
        return path

    def uri(self, base_url: str) -> str:
        """The full URI on the service's own base URL."""
        return base_url.rstrip("/") + self.path


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it."""
    if not body.isascii() or not body.isdigit():
        raise IdentifierError(f"{body!r} is not all digits")
    # Weights 3, 1, 3, ... counted from the rightmost digit of the body.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_is_valid(gtin: str) -> bool:
    """Whether the text is a GTIN-8/12/13/14 with a correct check digit."""
    try:
        normalize_gtin(gtin)
    except IdentifierError:
        return False
    return True


def normalize_gtin(text: str) -> str:
    """Return the GTIN-14 for a GTIN-8/12/13/14, or raise IdentifierError saying what is wrong."""
    digits = text.replace(" ", "")
    if not digits:
        raise IdentifierError(_("the GTIN is empty"))
    if not digits.isascii() or not digits.isdigit():
        raise IdentifierError(_("the GTIN %(gtin)s must contain only digits", gtin=repr(text)))
    if len(digits) not in GTIN_LENGTHS:
        raise IdentifierError(
            _(
                "the GTIN %(gtin)s has %(count)s digits; a GTIN has 8, 12, 13 or 14 digits",
                gtin=repr(text),
                count=len(digits),
            )
        )
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise IdentifierError(
            _(
                "the GTIN %(gtin)s has a wrong check digit: the last digit should be"
                " %(expected)s, not %(found)s",
                gtin=repr(text),
                expected=expected,
                found=digits[-1],
            )
        )
    return digits.zfill(14)


def new_unit_code() -> str:
    """A fresh random unit code (AI 235) for a unit whose serial is not known."""
    return "".join(secrets.choice(UNIT_CODE_ALPHABET) for _position in range(UNIT_CODE_LENGTH))


def normalize_unit_code(text: str) -> str:
    """Return the unit code in canonical form (uppercase, no spaces or dashes), or raise."""
    code = text.upper().replace(" ", "").replace("-", "")
    if not code:
        raise IdentifierError(_("the unit code is empty"))
    if len(code) != UNIT_CODE_LENGTH:
        raise IdentifierError(
            _(
                "the unit code %(code)s has %(count)s characters; it should have %(wanted)s",
                code=repr(text),
                count=len(code),
                wanted=UNIT_CODE_LENGTH,
            )
        )
    wrong = sorted({c for c in code if c not in UNIT_CODE_ALPHABET})
    if wrong:
        raise IdentifierError(
            _(
                "the unit code %(code)s contains %(wrong)s; unit codes use only %(alphabet)s",
                code=repr(text),
                wrong=", ".join(map(repr, wrong)),
                alphabet=UNIT_CODE_ALPHABET,
            )
        )
    return code


def unit_code_is_valid(text: str) -> bool:
    """Whether the text is a unit code once spaces and dashes are taken out."""
    try:
        normalize_unit_code(text)
    except IdentifierError:
        return False
    return True


def _describe(char: str) -> str:
    """A readable name for a character in an error message, with the ASCII it looks like."""
    name = unicodedata.name(char, "")
    text = f"{char!r} (U+{ord(char):04X}{' ' + name if name else ''}"
    lookalike = unicodedata.normalize("NFKC", char)
    if lookalike != char and lookalike.isascii() and lookalike.isprintable():
        text += _(", which looks like %(char)s", char=repr(lookalike))
    return text + ")"


def validate_serial(text: str) -> str:
    """Return the serial (AI 21) with surrounding whitespace removed, or raise IdentifierError."""
    # Barcode scanners and copy-paste add trailing newlines or tabs; those are not part of a serial.
    serial = text.strip()
    if not serial:
        raise IdentifierError(_("the serial number is empty"))
    if len(serial) > SERIAL_MAX_LENGTH:
        raise IdentifierError(
            _(
                "the serial number has %(count)s characters; GS1 allows at most %(most)s",
                count=len(serial),
                most=SERIAL_MAX_LENGTH,
            )
        )
    for char in serial:
        if unicodedata.category(char) == "Cc":
            raise IdentifierError(
                _(
                    "the serial number contains a control character (%(code)s)",
                    code=f"U+{ord(char):04X}",
                )
            )
        if char == " ":
            raise IdentifierError(_("the serial number contains a space"))
        if char not in CHARSET_82:
            raise IdentifierError(
                _(
                    "the serial number contains %(char)s; allowed are letters A-Z and a-z"
                    " without accents, digits and %(signs)s",
                    char=_describe(char),
                    signs=SERIAL_SIGNS,
                )
            )
    if serial in (".", ".."):
        # GS1 allows them, but browsers drop a '.' or '..' path segment (encoded as %2E or not)
        # before sending the request, so such a label could never resolve.
        raise IdentifierError(_("the serial number cannot be %(serial)s", serial=repr(serial)))
    return serial


def serial_is_valid(text: str) -> bool:
    """Whether validate_serial accepts the text."""
    try:
        validate_serial(text)
    except IdentifierError:
        return False
    return True


def encode_path_value(value: str) -> str:
    """Percent-encode a value for a Digital Link path: RFC 3986 unreserved characters stay."""
    return quote(value, safe="")


def model_uri(base_url: str, gtin: str) -> str:
    """The Digital Link URI of a product model: `{base}/01/{gtin14}`."""
    return DigitalLink(normalize_gtin(gtin)).uri(base_url)


def unit_uri(
    base_url: str, gtin: str, serial: str | None = None, unit_code: str | None = None
) -> str:
    """The Digital Link URI of one unit: `{base}/01/{gtin14}/21/{serial}` or `.../235/{code}`."""
    if (serial is None) == (unit_code is None):
        raise IdentifierError("a unit needs exactly one of a serial number or a unit code")
    link = DigitalLink(
        normalize_gtin(gtin),
        serial=validate_serial(serial) if serial is not None else None,
        unit_code=normalize_unit_code(unit_code) if unit_code is not None else None,
    )
    return link.uri(base_url)


def _decode_segment(segment: str) -> str:
    """Percent-decode one path segment strictly: malformed escapes and non-ASCII are refused."""
    if not _PCHAR_SEGMENT.fullmatch(segment):
        for char in segment:
            if char != "%" and not _PCHAR_SEGMENT.fullmatch(char):
                raise IdentifierError(f"the path segment {segment!r} contains {_describe(char)}")
        raise IdentifierError(f"the path segment {segment!r} has a malformed %-escape")
    try:
        return unquote(segment, encoding="ascii", errors="strict")
    except UnicodeDecodeError:
        raise IdentifierError(
            f"the path segment {segment!r} encodes characters outside ASCII"
        ) from None


def parse_digital_link_path(path: str) -> DigitalLink:  # noqa: C901 (flat: one check per rule)
    """Parse a still percent-encoded path like `/01/{gtin}/21/{serial}`; raise IdentifierError."""
    if "\x00" in path or "%00" in path:
        raise IdentifierError("the path contains a NUL character")
    if not path.startswith("/"):
        raise IdentifierError("the path must start with '/'")
    segments = path[1:].split("/")
    if any(segment == "" for segment in segments):
        raise IdentifierError("the path contains an empty segment (a double or trailing slash)")
    # Split before decoding: an encoded slash (%2F) is part of a value, as GS1 allows in a serial.
    values = [_decode_segment(segment) for segment in segments]
    if any(value in (".", "..") for value in values):
        raise IdentifierError("the path contains a '.' or '..' segment")

    key = values[0]
    if key != AI_GTIN:
        known = f" ({AI_NAMES[key]})" if key in AI_NAMES else ""
        raise IdentifierError(
            f"unknown primary key {key!r}{known}: this service resolves GTINs only (/01/...)"
        )
    if len(values) < 2:
        raise IdentifierError("the path has no GTIN after /01/")
    if not values[1].isascii() or not values[1].isdigit():
        raise IdentifierError(f"the GTIN {values[1]!r} in the path must contain only digits")
    # GS1 lets resolvers accept GTIN-8/12/13 in the path and pad them to 14 digits.
    gtin = normalize_gtin(values[1])

    rest = values[2:]
    if not rest:
        return DigitalLink(gtin)
    if len(rest) > 2 and rest[0] == AI_SERIAL:
        # The serial is the last value of a GTIN path, so more segments mean a bare '/'.
        raise IdentifierError(
            f"the path goes on after the serial {rest[1]!r}: a unit is identified by exactly one"
            f" of {AI_SERIAL} (serial) or {AI_UNIT_CODE} (unit code), and a '/' inside a serial"
            " is written %2F"
        )
    if len(rest) % 2:
        raise IdentifierError(f"the path ends with {rest[-1]!r} without a value after it")
    if len(rest) > 2:
        raise IdentifierError(
            f"the path has qualifiers {', '.join(rest[0::2])}; a unit is identified by exactly"
            f" one of {AI_SERIAL} (serial) or {AI_UNIT_CODE} (unit code)"
        )
    ai, value = rest
    if ai == AI_SERIAL:
        if value != value.strip():
            raise IdentifierError("the serial number in the path has surrounding whitespace")
        return DigitalLink(gtin, serial=validate_serial(value))
    if ai == AI_UNIT_CODE:
        code = normalize_unit_code(value)
        if code != value.upper():
            raise IdentifierError("the unit code in the path must not contain spaces or dashes")
        return DigitalLink(gtin, unit_code=code)
    name = f" ({AI_NAMES[ai]})" if ai in AI_NAMES else ""
    raise IdentifierError(
        f"qualifier {ai!r}{name} is not supported after a GTIN; use {AI_SERIAL} (serial)"
        f" or {AI_UNIT_CODE} (unit code)"
    )

"""An owner's settings: channel, language, hour, time zone, digest, pause; a remembered postcode."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from flask_babel import gettext as _

from maintenance.db.transactions import transactional
from maintenance.extensions import db
from maintenance.i18n import LANGUAGES
from maintenance.models import Owner
from maintenance.services.owners.contacts import OwnerError, is_confirmed
from maintenance.services.owners.ownership import drop_pending_reminders
from maintenance.services.schedules.plan import wake_owner


@cache
def canonical_time_zones() -> frozenset[str]:
    """IANA zone names that are zones of their own or a country's zone, from the tzdata package.

    Not every file zoneinfo can open: a folder ("Europe"), "localtime", "posixrules" or
    "Factory" is no place a person lives, and old aliases ("US/Eastern") have a canonical name
    to use instead. A country's own zone stays even where tzdata links it to a neighbour's
    (Europe/Amsterdam to Europe/Brussels since 2022): it is the name people know.
    """
    zoneinfo = files("tzdata").joinpath("zoneinfo")
    data = zoneinfo.joinpath("tzdata.zi").read_text(encoding="utf-8")
    zones = {line.split()[1] for line in data.splitlines() if line.startswith("Z ")}
    countries = zoneinfo.joinpath("zone.tab").read_text(encoding="utf-8")
    zones |= {line.split("\t")[2] for line in countries.splitlines() if not line.startswith("#")}
    return frozenset(zones - {"Factory"})


@dataclass(frozen=True)
class Settings:
    """What an owner can choose about their messages."""

    channel: str
    language: str
    preferred_hour: int
    time_zone: str
    digest: bool
    paused: bool


@transactional
def update_settings(owner: Owner, settings: Settings) -> Owner:
    """Change an owner's message settings after checking them."""
    if settings.channel not in ("email", "sms") or not is_confirmed(owner, settings.channel):
        raise OwnerError(_("You can only choose a confirmed email address or number."))
    if settings.language not in LANGUAGES:
        raise OwnerError(_("Please choose a language."))
    if not 0 <= settings.preferred_hour <= 23:
        raise OwnerError(_("Please choose an hour of the day."))
    if settings.time_zone not in canonical_time_zones():
        raise OwnerError(_("Please choose a time zone from the list."))
    owner.channel = settings.channel
    owner.language = settings.language
    owner.preferred_hour = settings.preferred_hour
    owner.time_zone = settings.time_zone
    owner.digest = settings.digest
    if settings.paused and not owner.paused:
        drop_pending_reminders(owner.id, None)
    owner.paused = settings.paused
    db.session.flush()
    wake_owner(owner.id)  # resumed or on another channel: remind what is due now
    return owner


@transactional
def forget_postcode(owner: Owner) -> bool:
    """Remove the postcode the owner asked us to remember; False if there was none."""
    if owner.postcode is None:
        return False
    owner.postcode = None
    return True

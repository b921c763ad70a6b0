"""Unbound extension objects; create_app() binds them to the application."""

from typing import TYPE_CHECKING, ClassVar

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with named constraints, so Alembic migrations are reviewable."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )

    if TYPE_CHECKING:
        # Every model here maps one Table (SQLAlchemy types it as any FROM clause), so the Core
        # statements on Model.__table__ type-check. Only for mypy: at run time nothing changes.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# The base class of every model. mypy cannot see a class through an instance attribute
# (python/mypy#8603), so it checks the models against Base, which db.Model extends with
# Flask-SQLAlchemy's table naming and bind mixins.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class RouteLimiter(Limiter):
    """Flask-Limiter without its before-request pass on the resolver's routes (scans, QR images).

    Every limit in this service is a decorator on its view and is checked when that view runs;
    the before-request pass looks for default, application and blueprint limits, which this
    service has none of, and costs the busiest route about 40 microseconds. So a limit on a
    resolver view must be a decorator. (This overrides Flask-Limiter's internal method: were it
    renamed, scans would only get slower, not unlimited.)
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and request.blueprint == "resolver":
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: object, connection_record: object) -> None:
    """SQLite enforces foreign keys (and their ON DELETE rules) only when asked, per connection."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

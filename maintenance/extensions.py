"""Unbound extension objects; create_app() binds them to the application."""

from typing import TYPE_CHECKING, ClassVar

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


# Every limit in this service is a decorator on its view (web/auth.py, web/owner.py): there are
# no default or application-wide limits, so the before-request pass finds none on other routes.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection: object, connection_record: object) -> None:
    """SQLite enforces foreign keys (and their ON DELETE rules) only when asked, per connection."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

"""Dashboard users and login sessions, stored in the server's database.

Three small tables (``dashboard_users``, ``dashboard_sessions``, ``dashboard_secrets``), defined with the
server's models and built by its migrations, like every other table of the database.

Passwords are hashed with scrypt (RFC 7914) from the standard library, with a random salt per user.
A session is a random token handed to the browser (signed, in a cookie); only its SHA-256 is stored, so a
leaked database gives no live session. Each session carries its own CSRF token.

References
----------
.. [1] C. Percival and S. Josefsson, "The scrypt Password-Based Key Derivation Function", RFC 7914, 2016.
.. [2] OWASP Password Storage Cheat Sheet (scrypt: N=2**17, r=8, p=1 recommended; N=2**14 is the floor).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cardiowatch.errors import CardiowatchError
from cardiowatch.server.storage.db import migrate
from cardiowatch.server.storage.models import dashboard_secrets, dashboard_sessions, dashboard_users

#: scrypt cost parameters; stored with each hash so they can be raised later without breaking logins.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SALT_BYTES = 16
SESSION_TOKEN_BYTES = 32
MIN_PASSWORD_LENGTH = 8
SESSION_LIFETIME = timedelta(hours=12)

class Role(str, enum.Enum):
    """What a user may do: an admin manages devices and users; a viewer watches and acknowledges."""

    ADMIN = "admin"
    VIEWER = "viewer"


class UserError(CardiowatchError, ValueError):
    """A user cannot be created or changed: name taken, unknown role, password too short."""


@dataclass(frozen=True)
class User:
    """A dashboard user as the rest of the code sees it (never with the password hash)."""

    id: int
    name: str
    role: Role


@dataclass(frozen=True)
class Session:
    """A live login session: who, its CSRF token, and when it ends."""

    user: User
    csrf_token: str
    expires_at: datetime


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` for ``password`` (salt random unless given)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=SCRYPT_DKLEN)
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def password_verify(password: str, stored: str) -> bool:
    """Return whether ``password`` matches a hash made by `password_hash` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        want = _unb64(digest)
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want))
    except ValueError:
        return False
    return hmac.compare_digest(got, want)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


# A hash to verify against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = password_hash("not a password", salt=b"\0" * SALT_BYTES)


class UserStore:
    """Users, sessions and the cookie-signing key in one SQLAlchemy database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The server's engine (SQLite or PostgreSQL). `create_tables` brings its schema up to date.
    session_lifetime : datetime.timedelta
        How long a login lasts.
    """

    def __init__(self, engine: Engine, *, session_lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.engine = engine
        self.session_lifetime = session_lifetime

    def create_tables(self) -> None:
        """Migrate the database to the current schema, the dashboard's tables included."""
        migrate(self.engine)

    # users -----------------------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: Role | str) -> User:
        """Create a user; raise `UserError` if the name is taken, the role unknown or the password short."""
        role = _role(role)
        name = name.strip()
        if not name or len(name) > 64:
            raise UserError(f"user name must be 1-64 characters, got {name!r}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        try:
            with self.engine.begin() as conn:
                result = conn.execute(insert(dashboard_users).values(
                    name=name, role=role.value, password_hash=password_hash(password), created_at=_now()))
        except IntegrityError as exc:
            raise UserError(f"user {name!r} exists already") from exc
        return User(id=int(result.inserted_primary_key[0]), name=name, role=role)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password and end all their sessions."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        user = self.get_user(name)
        with self.engine.begin() as conn:
            conn.execute(update(dashboard_users).where(dashboard_users.c.id == user.id)
                         .values(password_hash=password_hash(password)))
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.user_id == user.id))

    def get_user(self, name: str) -> User:
        """Return the user called ``name``; raise `UserError` if there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(dashboard_users).where(dashboard_users.c.name == name)).first()
        if row is None:
            raise UserError(f"no user called {name!r}")
        return User(id=row.id, name=row.name, role=Role(row.role))

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(dashboard_users).order_by(dashboard_users.c.name)).all()
        return [User(id=row.id, name=row.name, role=Role(row.role)) for row in rows]

    def authenticate(self, name: str, password: str) -> User | None:
        """Return the user if ``password`` is theirs, else None (same cost for an unknown name)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(dashboard_users).where(dashboard_users.c.name == name)).first()
        if row is None:
            password_verify(password, _DUMMY_HASH)
            return None
        if not password_verify(password, row.password_hash):
            return None
        return User(id=row.id, name=row.name, role=Role(row.role))

    # sessions --------------------------------------------------------------------------------------
    def open_session(self, user: User) -> tuple[str, Session]:
        """Start a session for ``user``; return the token for the cookie and the session."""
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        now = _now()
        session = Session(user=user, csrf_token=secrets.token_urlsafe(24), expires_at=now + self.session_lifetime)
        with self.engine.begin() as conn:
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at < now))
            conn.execute(insert(dashboard_sessions).values(
                token_sha256=_token_digest(token), user_id=user.id, csrf_token=session.csrf_token,
                created_at=now, expires_at=session.expires_at))
        return token, session

    def find_session(self, token: str) -> Session | None:
        """Return the live session for ``token``, or None when unknown or expired."""
        query = (select(dashboard_sessions.c.csrf_token, dashboard_sessions.c.expires_at, dashboard_users.c.id,
                        dashboard_users.c.name, dashboard_users.c.role)
                 .join(dashboard_users, dashboard_users.c.id == dashboard_sessions.c.user_id)
                 .where(dashboard_sessions.c.token_sha256 == _token_digest(token)))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or _aware(row.expires_at) <= _now():
            return None
        return Session(user=User(id=row.id, name=row.name, role=Role(row.role)), csrf_token=row.csrf_token,
                       expires_at=_aware(row.expires_at))

    def close_session(self, token: str) -> None:
        """End the session for ``token`` (logout); unknown tokens are ignored."""
        with self.engine.begin() as conn:
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.token_sha256 == _token_digest(token)))

    def signing_key(self) -> bytes:
        """The key that signs session cookies: made once, kept in the database, shared by all workers."""
        with self.engine.begin() as conn:
            value = conn.execute(select(dashboard_secrets.c.value)
                                 .where(dashboard_secrets.c.name == "cookie_signing_key")).scalar()
            if value is None:
                value = _b64(secrets.token_bytes(32))
                try:
                    with conn.begin_nested():
                        conn.execute(insert(dashboard_secrets).values(name="cookie_signing_key", value=value))
                except IntegrityError:
                    # Another worker made it first: use theirs.
                    value = conn.execute(select(dashboard_secrets.c.value)
                                         .where(dashboard_secrets.c.name == "cookie_signing_key")).scalar_one()
        return _unb64(value)


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        valid = ", ".join(r.value for r in Role)
        raise UserError(f"unknown role {role!r}; valid roles: {valid}") from exc

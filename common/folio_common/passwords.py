"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Each hash or check holds 64 MiB while it runs. Unbounded, a burst of sign-ups or log-ins on
# one web container (2 Gunicorn workers x 4 threads) asks for 512 MiB on top of the app, and the
# kernel kills workers mid-request: `make chaos` saw 14 plain 502s from 8 parallel sign-ups.
# Two at a time per process keeps it to 128 MiB; the rest wait their turn (about 0.25 s each).
_HASHING_SLOTS = threading.BoundedSemaphore(2)

MIN_PASSWORD_LENGTH = 10
# A real hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("folio-timing-equaliser")


def hash_password(password: str) -> str:
    with _HASHING_SLOTS:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _HASHING_SLOTS:
            verified = _hasher.verify(password_hash or _DUMMY_HASH, password)
        return verified and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

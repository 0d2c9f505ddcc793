"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Each hash or check holds 64 MiB while it runs. Unbounded, a burst of sign-ups or log-ins on
# one web container (2 Gunicorn workers x 4 threads) asks for 512 MiB on top of the app, and the
# kernel kills workers mid-request: `make chaos` saw 14 plain 502s from 8 parallel sign-ups.
# Two at a time per process keeps it to 128 MiB; the rest wait their turn (about 0.25 s each).
_HASHING_SLOTS = threading.BoundedSemaphore(2)
# ... but not for ever. On a starved CPU one hash took 2-4 s (1 CPU for the container, load 20
# on the host) and 10-15 sign-ups at once queued for their slot until their users gave up
# (make chaos, load 40). Past this wait the request is answered 503 with Retry-After, which a
# form survives, instead of holding a thread until the reader is gone.
HASHING_WAIT_SECONDS = 15.0


class HashingBusy(RuntimeError):
    """Every hashing slot stayed taken for HASHING_WAIT_SECONDS: try again shortly."""


MIN_PASSWORD_LENGTH = 10
# A real hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("folio-timing-equaliser")


@contextmanager
def _hashing_slot() -> Iterator[None]:
    if not _HASHING_SLOTS.acquire(timeout=HASHING_WAIT_SECONDS):
        raise HashingBusy(f"no password hashing slot free within {HASHING_WAIT_SECONDS:.0f}s")
    try:
        yield
    finally:
        _HASHING_SLOTS.release()


def hash_password(password: str) -> str:
    with _hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _hashing_slot():
            verified = _hasher.verify(password_hash or _DUMMY_HASH, password)
        return verified and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)

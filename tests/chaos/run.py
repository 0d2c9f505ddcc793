"""The chaos scenarios: break a running stack while simulated users work, then count.

Started by scripts/chaos.sh (`make chaos`), which brings the stack up and sets CHAOS_*. Every
scenario is one `Scenario`: users ask for work before the fault and while it lasts (register,
reset a password, export, publish), one fault is injected with `docker compose` (kill -9,
stop, restart), and the work is counted from the mail catcher and the exports volume:

  sent        work the site accepted (a 2xx/3xx answer: the user was told it is under way)
  done        of that, what was delivered by the deadline: the mail is in the catcher, the
              export is `done` and its ZIP on the volume is whole
  lost        sent - done once the scenario's deadline (seconds after the fault ended) passed
  dup         mails delivered more than once; allowed only where a worker or the database dies
              under a running task (the at-least-once window, docs/operations.md)
  branded     5xx answers that are a branded page (Folio's 503, nginx's unavailable page) or
              problem+json, while the fault lasted (and up to OUTAGE_GRACE seconds after)
  bad 5xx     any other 5xx, a branded one outside the outage, or a request the client gave
              up on: must be 0
  slowest     the longest any answer took
  recovery    seconds from the fault's end until the last piece of work was done

A user who gets a branded 503 does what the page says: waits and sends the form again.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests

BASE_URL = os.environ.get("CHAOS_BASE_URL", "").rstrip("/")
MAIL_API = os.environ.get("CHAOS_MAIL_API", "")
CA_FILE: str | bool = os.environ.get("CHAOS_CA_FILE") or True
COMPOSE = shlex.split(os.environ.get("CHAOS_COMPOSE", ""))

PASSWORD = "chaos password long enough 42"
CONFIRM = "Confirm your email address"
RESET = "Reset your password"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_EXPORT_STATUS = re.compile(r'data-export-status-url="([^"]+)"')
# Branded answers this long after the fault ended still count as the outage's (the breakers'
# cooldown, pools reconnecting, a request that was already on its way).
OUTAGE_GRACE = 10.0


def log(message: str) -> None:
    print(f"[chaos] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def compose(*args: str, timeout: float = 240, check: bool = True) -> str:
    result = subprocess.run(  # the command line scripts/chaos.sh built
        [*COMPOSE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"compose {' '.join(args)} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def psql(sql: str, **variables: object) -> str:
    """Run `sql` in the stack's database; `:'name'` in it is the quoted value of `name`."""
    options = [f"--variable={name}={value}" for name, value in variables.items()]
    script = 'psql -v ON_ERROR_STOP=1 -qAt -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$@"'
    command = [*COMPOSE, "exec", "-T", "db", "sh", "-c", script, "sh", *options]
    result = subprocess.run(
        command, input=sql, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()[-500:]}")
    return result.stdout.strip()


def resolver_works() -> bool:
    """Whether web still finds its neighbours by name: Docker's embedded DNS can fail under a
    busy engine (a swarm joining or leaving on the same host), and then nothing measured means
    anything."""
    answer = compose("exec", "-T", "web", "getent", "hosts", "db", "redis", "cache", check=False)
    return len(answer.splitlines()) == 3


def wait_healthy(*services: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = compose("ps", "--format", "{{.Service}} {{.Health}} {{.State}}", *services)
        lines = [line.split() for line in states.splitlines() if line.strip()]
        if lines and all(len(p) >= 2 and p[1] in ("healthy", "running") for p in lines):
            return
        time.sleep(1)
    raise RuntimeError(f"{services} not healthy after {timeout}s")


# --- counting -------------------------------------------------------------------------------


@dataclass
class Tally:
    name: str
    sent: int = 0
    done: int = 0
    duplicated: int = 0
    branded_503: int = 0
    bad_5xx: int = 0
    slowest: float = 0.0
    slowest_request: str = ""
    recovery: float | None = None
    # When each branded 5xx was answered, to hold them against the outage's window.
    branded_at: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def lost(self) -> int:
        return self.sent - self.done

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.bad_5xx == 0 and not self.failures

    def seen(self, response: requests.Response) -> None:
        took = sum(answer.elapsed.total_seconds() for answer in (*response.history, response))
        with self._lock:
            if took > self.slowest:
                self.slowest = took
                first = (*response.history, response)[0]
                self.slowest_request = f"{first.request.method} {_route(first.url)}"
        for answer in (*response.history, response):
            if answer.status_code < 500:
                continue
            with self._lock:
                self.statuses[
                    f"{answer.status_code} {answer.request.method} {_route(answer.url)}"
                ] += 1
                if is_branded(answer):
                    self.branded_503 += 1
                    self.branded_at.append(time.monotonic())
                else:
                    self.bad_5xx += 1
                    self.notes.append(f"unbranded {answer.status_code} on {answer.url}")

    def failed_request(self, what: str, error: Exception) -> None:
        with self._lock:
            self.bad_5xx += 1
            self.notes.append(f"{what}: {type(error).__name__}")

    def accepted(self, count: int = 1) -> None:
        with self._lock:
            self.sent += count

    def outside_outage(self, began: float, ended: float) -> None:
        """Branded 5xx answered while no dependency was down are bad ones too."""
        stray = [t for t in self.branded_at if not began <= t <= ended + OUTAGE_GRACE]
        if stray:
            self.branded_503 -= len(stray)
            self.bad_5xx += len(stray)
            self.failures.append(f"{len(stray)} branded 5xx while nothing was down")


def _route(url: str) -> str:
    path = url.split("//", 1)[-1].partition("/")[2].split("?")[0]
    return "/" + re.sub(r"/\d+", "/<id>", path)


def is_branded(response: requests.Response) -> bool:
    """Folio's 503 page, nginx's unavailable page, or a problem+json document."""
    kind = response.headers.get("Content-Type", "")
    if "application/problem+json" in kind:
        return True
    if response.status_code not in (502, 503, 504):
        return False  # a branded 500 is still a bug: only unavailability may answer 5xx
    text = response.text
    return "text/html" in kind and (
        "Temporarily unavailable" in text or "catching its breath" in text
    )


# --- a user ---------------------------------------------------------------------------------


class User(requests.Session):
    def __init__(self, tally: Tally, name: str | None = None) -> None:
        super().__init__()
        self.tally = tally
        self.name = name or "chaos" + uuid.uuid4().hex[:10]
        self.email = f"{self.name}@example.com"

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> requests.Response:
        if url.startswith("/"):
            url = BASE_URL + url
        # Above nginx's 60 s upstream timeout: a stalled request is nginx's to answer.
        kwargs.setdefault("timeout", 65)
        kwargs.setdefault("verify", CA_FILE)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]

    def submit(
        self, path: str, data: dict[str, str], *, until: float, accepted: Callable[..., bool]
    ) -> requests.Response | None:
        """Fill in the form at `path` and send it, again after each 503, until `until`."""
        while time.monotonic() < until:
            try:
                page = self.get(path)
                self.tally.seen(page)
                match = _CSRF.search(page.text) if page.status_code == 200 else None
                if match:
                    token = html.unescape(match.group(1) or match.group(2))
                    response = self.post(
                        path,
                        data={"csrf_token": token, **data},
                        headers={"Referer": page.url},
                    )
                    self.tally.seen(response)
                    if accepted(response):
                        return response
                    if response.status_code < 500:
                        self.tally.notes.append(f"{path} refused: {response.status_code}")
                        return None
            except requests.RequestException as exc:
                self.tally.failed_request(path, exc)
            time.sleep(2)  # what the 503 page asks for, shortened
        return None

    def register(self, until: float) -> bool:
        data = {
            "username": self.name,
            "email": self.email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        }

        def accepted(response: requests.Response) -> bool:
            # Registration sends everyone to the login page with a "check your mail" message;
            # "taken" answers a resend whose first try was saved but timed out on the way back.
            return (
                response.url.endswith("/auth/login") and "we have sent a mail" in response.text
            ) or "That username is taken." in response.text

        return self.submit("/auth/register", data, until=until, accepted=accepted) is not None

    def log_in(self) -> None:
        response = self.submit(
            "/auth/login",
            {"identifier": self.name, "password": PASSWORD},
            until=time.monotonic() + 60,
            accepted=lambda r: "/auth/login" not in r.url and r.status_code == 200,
        )
        if response is None:
            raise RuntimeError(f"{self.name} could not log in")

    def request_reset(self, until: float) -> bool:
        done = self.submit(
            "/auth/reset",
            {"email": self.email},
            until=until,
            accepted=lambda r: r.status_code == 200 and "/auth/login" in r.url,
        )
        return done is not None

    def start_export(self, until: float) -> str | None:
        done = self.submit(
            "/account/exports/",
            {},
            until=until,
            accepted=lambda r: r.status_code == 200 and bool(_EXPORT_STATUS.search(r.text)),
        )
        if done is None:
            return None
        paths = _EXPORT_STATUS.findall(done.text)
        return max(paths, key=lambda p: int(re.search(r"(\d+)\.json", p).group(1)))  # type: ignore[union-attr]

    def publish(self, title: str, until: float) -> bool:
        done = self.submit(
            "/write",
            {
                "title": title,
                "body": f"{title}, written under fire.",
                "tags": "",
                "status": "published",
            },
            until=until,
            accepted=lambda r: r.status_code == 200 and "/posts/" in r.url,
        )
        return done is not None


def make_users(tally: Tally, count: int) -> list[User]:
    """Confirmed authors made straight in the database (faster than the form; not measured)."""
    users = [User(tally) for _ in range(count)]
    psql(
        "INSERT INTO users (username, email, password_hash, role, confirmed_at, active, "
        "session_version, created_at) "
        "SELECT name, name || '@example.com', :'hash', 'author', now(), true, 1, now() "
        "FROM unnest(string_to_array(:'names', ',')) AS name",
        names=",".join(u.name for u in users),
        hash=_password_hash(),
    )
    return users


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        program = (
            f"from folio_common.passwords import hash_password; print(hash_password({PASSWORD!r}))"
        )
        _HASH.append(compose("exec", "-T", "web", "python", "-c", program).strip())
    return _HASH[0]


def follow(follower: User, author: User) -> None:
    psql(
        "INSERT INTO follows (follower_id, author_id, created_at) SELECT f.id, a.id, now() "
        "FROM users f, users a WHERE f.username = :'follower' AND a.username = :'author'",
        follower=follower.name,
        author=author.name,
    )


SEED_CHUNK = 20_000


def seed_posts(user: User, count: int) -> None:
    """`count` draft posts for `user`, written straight into the database, in chunks so that no
    one statement runs for minutes on a busy machine."""
    for first in range(1, count + 1, SEED_CHUNK):
        psql(
            "INSERT INTO posts (author_id, title, slug, summary, body_markdown, body_html, "
            "status, created_at, updated_at) "
            "SELECT u.id, 'Seeded note ' || n, :'name' || '-note-' || n, 'A seeded note.', "
            "'Some **Markdown** text for the archive, note ' || n || '.', '<p>Some text.</p>', "
            "'draft', now(), now() FROM users u, generate_series(:first, :last) AS n "
            "WHERE u.username = :'name'",
            name=user.name,
            first=first,
            last=min(count, first + SEED_CHUNK - 1),
        )


# --- what users ask for, and what the site then owes them -----------------------------------


@dataclass
class Work:
    """The mails and exports the site accepted in one scenario, and when each was delivered."""

    tally: Tally
    mails: list[tuple[str, str]] = field(default_factory=list)
    exporters: list[str] = field(default_factory=list)
    arrived: dict[tuple[str, str], float] = field(default_factory=dict)
    archives: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def owe_mail(self, to: str, subject: str) -> None:
        with self._lock:
            self.tally.accepted()
            self.mails.append((to, subject))

    def owe_export(self, username: str) -> None:
        with self._lock:
            self.tally.accepted()
            self.exporters.append(username)

    def owed(self) -> list[tuple[str, str]]:
        with self._lock:
            return [*self.mails, *(("export", name) for name in self.exporters)]


@dataclass(frozen=True)
class Asks:
    """What a group of users asks for, each at once with the others (up to `at_once`), and for
    how long a user keeps trying through 503s."""

    sign_ups: int = 0
    resets: int = 0
    exports: int = 0
    export_posts: int = 0  # posts each exporter has written, seeded straight into the database
    posts: int = 0  # published by one author, each mailed to the author's one follower
    at_once: int = 8
    seconds: float = 120

    def users(self, work: Work) -> list[Callable[[float], None]]:
        """Make the users (confirmed ones straight in the database, signed in) and return what
        each will do, given the time until which they keep trying."""
        existing = make_users(work.tally, self.resets + self.exports + 2 * bool(self.posts))
        resetters, rest = existing[: self.resets], existing[self.resets :]
        exporters, rest = rest[: self.exports], rest[self.exports :]
        jobs: list[Callable[[float], None]] = []
        for user in exporters:
            if self.export_posts:
                seed_posts(user, self.export_posts)
            user.log_in()
            jobs.append(lambda until, u=user: u.start_export(until) and work.owe_export(u.name))
        for user in resetters:
            jobs.append(
                lambda until, u=user: u.request_reset(until) and work.owe_mail(u.email, RESET)
            )
        for user in (User(work.tally) for _ in range(self.sign_ups)):
            jobs.append(lambda until, u=user: u.register(until) and work.owe_mail(u.email, CONFIRM))
        if self.posts:
            author, follower = rest
            follow(follower, author)
            author.log_in()
            titles = [f"Outage note {n} {uuid.uuid4().hex[:6]}" for n in range(self.posts)]

            def publish(until: float) -> None:
                for title in titles:
                    if author.publish(title, until):
                        work.owe_mail(follower.email, f"New on Folio: {title}")

            jobs.append(publish)
        return jobs

    def start(self, jobs: list[Callable[[float], None]]) -> Callable[[], None]:
        """Start the jobs on a pool of `at_once` threads; returns what waits for them all."""
        pool = ThreadPoolExecutor(max_workers=self.at_once)
        until = time.monotonic() + self.seconds
        futures: list[Future[None]] = [pool.submit(job, until) for job in jobs]

        def join() -> None:
            wait(futures, timeout=max(1.0, until - time.monotonic()) + 70)
            pool.shutdown(wait=False, cancel_futures=True)
            for future in futures:
                if future.done() and future.exception() is not None:
                    raise future.exception()  # type: ignore[misc]

        return join


# --- counting what was delivered ------------------------------------------------------------


def mails() -> Counter[tuple[str, str]]:
    """(recipient, subject) -> how many times it arrived."""
    # Mailpit's API (the catcher of compose.mail.yaml); it keeps the newest MP_MAX_MESSAGES.
    response = requests.get(f"{MAIL_API}/api/v1/messages", params={"limit": 5000}, timeout=10)
    response.raise_for_status()
    counts: Counter[tuple[str, str]] = Counter()
    for message in response.json()["messages"]:
        for to in message["To"]:
            counts[(to["Address"], message["Subject"])] += 1
    return counts


# Run in the web container, which mounts the exports volume too (the worker's memory may be
# under watch): is each finished archive on the volume, of the recorded size, and a ZIP whose
# every member reads back with the right CRC? Prints name -> members (or -1).
CHECK_ARCHIVES = """
import json, os, sys, zipfile
result = {}
for name, size in json.loads(sys.argv[1]).items():
    path = os.path.join(os.environ["EXPORT_DIR"], name)
    try:
        with zipfile.ZipFile(path) as archive:
            whole = os.path.getsize(path) == size and archive.testzip() is None
            result[name] = len(archive.infolist()) if whole else -1
    except (OSError, zipfile.BadZipFile):
        result[name] = -1
print(json.dumps(result))
"""


def finished_archives(usernames: list[str]) -> dict[str, int]:
    """username -> members of the user's finished export, for those whose ZIP checks out."""
    if not usernames:
        return {}
    rows = psql(
        "SELECT u.username, e.file_name, e.size_bytes FROM exports e JOIN users u "
        "ON u.id = e.user_id WHERE u.username = ANY(string_to_array(:'names', ',')) "
        "AND e.status = 'done'",
        names=",".join(usernames),
    )
    done = {name: (file, int(size)) for name, file, size in (r.split("|") for r in rows.split())}
    if not done:
        return {}
    sizes = json.dumps({file: size for file, size in done.values()})
    checked = json.loads(compose("exec", "-T", "web", "python", "-c", CHECK_ARCHIVES, sizes))
    return {name: checked[file] for name, (file, _) in done.items() if checked[file] > 0}


def settle(work: Work, in_flight: list[tuple[str, str]], *, since: float, timeout: float) -> None:
    """Wait until everything owed is delivered or `timeout` seconds after `since`; count it."""
    tally = work.tally
    owed = work.owed()
    counts: Counter[tuple[str, str]] = Counter()
    while True:
        try:
            counts = mails()
            pending = [name for kind, name in owed if kind == "export"]
            pending = [name for name in pending if ("export", name) not in work.arrived]
            archives = finished_archives(pending)
        except (requests.RequestException, RuntimeError) as exc:
            log(f"cannot count yet: {exc}")
            archives = {}
        now = time.monotonic()
        for key in owed:
            delivered = counts[key] if key[0] != "export" else key[1] in archives
            if delivered and key not in work.arrived:
                work.arrived[key] = now
        work.archives.update(archives)
        if len(work.arrived) == len(owed) or now >= since + timeout:
            break
        time.sleep(2)
    tally.done = len(work.arrived)
    tally.duplicated = sum(max(0, counts[key] - 1) for key in set(work.mails))
    if tally.done == len(owed):
        tally.recovery = round(max(0.0, max(work.arrived.values(), default=since) - since), 1)
    if in_flight:
        caught = [work.arrived[key] for key in in_flight if key in work.arrived]
        last = max(0.0, max(caught, default=since) - since)
        when = f", the last {last:.0f}s after it ended" if len(caught) == len(in_flight) else ""
        tally.notes.append(
            f"in flight at the fault: {len(caught)}/{len(in_flight)} delivered{when}"
        )
    if work.archives:
        members = ", ".join(str(n) for n in sorted(work.archives.values()))
        tally.notes.append(f"export ZIPs checked whole on the volume, members: {members}")


def browse(tally: Tally, stop: threading.Event, paths: tuple[str, ...] = ("/", "/tags")) -> None:
    """An anonymous reader clicking around until `stop`: every answer is checked."""
    reader = User(tally)
    while not stop.is_set():
        for path in paths:
            try:
                tally.seen(reader.get(path))
            except requests.RequestException as exc:
                tally.failed_request(f"GET {path}", exc)
        stop.wait(0.5)


@contextmanager
def browsing(tally: Tally, readers: int) -> Iterator[None]:
    stop = threading.Event()
    threads = [
        threading.Thread(target=browse, args=(tally, stop), daemon=True) for _ in range(readers)
    ]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=70)


# --- watching memory ------------------------------------------------------------------------

_UNITS = {"B": 1 / 2**20, "KiB": 1 / 2**10, "MiB": 1, "GiB": 2**10, "kB": 1e3 / 2**20,
          "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}  # fmt: skip


class MemoryWatch:
    """Samples a service's container memory (`docker stats`) until stopped; keeps the peak."""

    def __init__(self, service: str) -> None:
        self.container = compose("ps", "-q", service).strip()
        limit = _docker("inspect", "--format", "{{.HostConfig.Memory}}", self.container)
        self.limit_mib = int(limit) / 2**20
        self.peak_mib = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            usage = _docker("stats", "--no-stream", "--format", "{{.MemUsage}}", self.container)
            match = re.match(r"([\d.]+)\s*([A-Za-z]+)", usage)
            if match:
                self.peak_mib = max(self.peak_mib, float(match[1]) * _UNITS[match[2]])
                self.samples += 1
            self._stop.wait(1)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _docker(*args: str) -> str:
    result = subprocess.run(
        ["docker", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout.strip()


def max_task_rss_mb() -> int | None:
    """The largest peak RSS an export slice reported in the worker's log."""
    logs = compose("logs", "--no-color", "worker")
    peaks = [int(m) for m in re.findall(r'"max_rss_mb": (\d+)', logs)]
    return max(peaks) if peaks else None


# The export's budget for one process (the "200 MB RSS for any account size").
TASK_RSS_BUDGET_MB = int(os.environ.get("CHAOS_EXPORT_RSS_LIMIT_MB", "200"))


# --- the faults and the scenarios -----------------------------------------------------------


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Fault:
    """`setup` runs before any work is asked for; the fault itself is `begin` .. `end`, lasting
    at least `lasts` seconds; `dependency_down` says whether a 503 may be answered meanwhile."""

    begin: Callable[[], object]
    end: Callable[[], object] = _nothing
    lasts: float = 0
    setup: Callable[[], object] = _nothing
    dependency_down: bool = True


@dataclass(frozen=True)
class Scenario:
    summary: str
    fault: Fault
    before: Asks = Asks()  # asked for (and accepted) before the fault: in flight when it hits
    during: Asks = Asks()  # asked for while the fault lasts
    readers: int = 0  # anonymous readers browsing throughout
    lead: float | None = None  # `during` users start this long before the fault, else after
    outlasts_work: bool = False  # the fault ends only once the `during` users are done
    deadline: float = 240  # seconds after the fault's end by which everything must be done
    duplicates_allowed: bool = False  # a worker or the database dies under a running task
    watch_memory: str | None = None  # the service whose memory must stay under its limit

    def run(self, tally: Tally) -> None:
        work = Work(tally)
        before, during = self.before.users(work), self.during.users(work)
        self.fault.setup()
        watch = MemoryWatch(self.watch_memory) if self.watch_memory else None
        started = time.monotonic()
        with watch or _no_watch(), browsing(tally, self.readers):
            self.before.start(before)()
            in_flight = work.owed()
            join = self.during.start(during) if self.lead is not None else None
            time.sleep(self.lead or 0)
            began = time.monotonic()
            self.fault.begin()
            join = join or self.during.start(during)
            if self.outlasts_work:
                join()
            time.sleep(max(0.0, self.fault.lasts - (time.monotonic() - began)))
            self.fault.end()
            ended = time.monotonic()
            if self.fault.lasts:
                tally.notes.append(f"fault lasted {ended - began:.0f}s")
            join()
            settle(work, in_flight, since=ended, timeout=self.deadline)
        tally.outside_outage(began, ended if self.fault.dependency_down else began - 1)
        if tally.duplicated and not self.duplicates_allowed:
            tally.failures.append(f"{tally.duplicated} duplicate mails outside the window")
        if watch is not None:
            self._check_memory(tally, watch, time.monotonic() - started)

    def _check_memory(self, tally: Tally, watch: MemoryWatch, seconds: float) -> None:
        task_peak = max_task_rss_mb()
        tally.notes.append(
            f"{self.watch_memory} container peak {watch.peak_mib:.0f} MiB of its "
            f"{watch.limit_mib:.0f} MiB limit ({watch.samples} samples of docker stats); "
            f"export task peak RSS {task_peak} MB; {seconds:.0f}s from request to ZIP checked"
        )
        if not watch.samples or watch.peak_mib >= watch.limit_mib:
            tally.failures.append(f"{self.watch_memory} peak is not under its memory limit")
        if task_peak is None or task_peak > TASK_RSS_BUDGET_MB:
            tally.failures.append(f"export task peak RSS {task_peak} MB over {TASK_RSS_BUDGET_MB}")


@contextmanager
def _no_watch() -> Iterator[None]:
    yield


def _in_turn(*steps: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run


def _act(*args: str) -> Callable[[], object]:
    return lambda: compose(*args)


def _pause(seconds: float) -> Callable[[], object]:
    return lambda: time.sleep(seconds)


def _back(*services: str) -> Callable[[], None]:
    """Start `services` and return once they are healthy: the outage ends then, not before."""
    return _in_turn(_act("start", *services), lambda: wait_healthy(*services))


# Run inside the worker container, where Celery's main process is PID 1: kill -9 one child.
KILL_A_POOL_CHILD = """
import os, signal
def parent(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[1]
children = [int(p) for p in os.listdir("/proc") if p.isdigit() and parent(p) == "1"]
os.kill(children[0], signal.SIGKILL)
print(children[0])
"""

_NOT_DOWN = {"dependency_down": False}

SCENARIOS: dict[str, Scenario] = {
    "worker-kill-9": Scenario(
        "kill -9 the worker container right after 20 sign-ups and a 20,000-post export",
        Fault(_act("kill", "-s", "SIGKILL", "worker"), _act("start", "worker"), 3, **_NOT_DOWN),
        before=Asks(sign_ups=20, exports=1, export_posts=20_000),
        duplicates_allowed=True,
    ),
    "pool-child-kill-9": Scenario(
        "kill -9 one prefork child while a 20,000-post export and 10 sign-ups run",
        Fault(_act("exec", "-T", "worker", "python", "-c", KILL_A_POOL_CHILD), **_NOT_DOWN),
        before=Asks(sign_ups=10, exports=1, export_posts=20_000),
        duplicates_allowed=True,
    ),
    "stop-during-long-export": Scenario(
        "`compose stop worker` (warm shutdown) 10 s into a 100,000-post export, then start",
        Fault(_in_turn(_pause(10), _act("stop", "worker"), _act("start", "worker")), **_NOT_DOWN),
        before=Asks(exports=1, export_posts=100_000),
        deadline=300,
    ),
    "redis-restart-300-queued": Scenario(
        # Password resets, not sign-ups: the same mail tasks without 300 password hashes, which
        # on a loaded machine took longer than the scenario itself.
        "300 reset mails queued with the worker stopped; `restart redis`; worker started",
        Fault(_act("restart", "redis"), _act("start", "worker"), setup=_act("stop", "worker")),
        before=Asks(resets=300, seconds=600),
        deadline=300,
    ),
    "redis-stopped-20s": Scenario(
        "both Redis stopped 20 s while users register, reset, export and publish",
        Fault(_act("stop", "redis", "cache"), _back("redis", "cache"), 20),
        during=Asks(sign_ups=8, resets=2, exports=2, posts=3, seconds=60),
        readers=2,
        outlasts_work=True,
        deadline=60,  # the bound: everything requested during it, within 60 s
    ),
    "postgres-restart-under-load": Scenario(
        "`compose restart db` while 3 readers browse and 15 users sign up",
        Fault(_in_turn(_act("restart", "db"), lambda: wait_healthy("db"))),
        during=Asks(sign_ups=15, at_once=15),
        readers=3,
        lead=2,
        deadline=180,
        duplicates_allowed=True,
    ),
    "postgres-down-60s": Scenario(
        # The worker is paused while they sign up, so all 20 tasks are still to run when the
        # database goes: the worker meets the outage with every one of them in hand.
        "Postgres stopped 60 s with 20 mail tasks in flight; readers and 3 late sign-ups",
        Fault(
            _in_turn(_act("stop", "db"), _act("unpause", "worker")),
            _back("db"),
            60,
            setup=_act("pause", "worker"),
        ),
        before=Asks(sign_ups=20),
        during=Asks(sign_ups=3, seconds=120),
        readers=2,
        deadline=180,
        duplicates_allowed=True,
    ),
    "web-recreated-under-load": Scenario(
        "web recreated (a deploy) while 3 readers browse and 10 users sign up",
        Fault(_act("up", "-d", "--no-deps", "--force-recreate", "--wait", "web")),
        during=Asks(sign_ups=10),
        readers=3,
        lead=0,
        deadline=120,
    ),
    "export-260k-posts": Scenario(
        "an account with 260,000 posts exports within the worker's memory limit",
        Fault(_nothing, **_NOT_DOWN),
        before=Asks(exports=1, export_posts=260_000, seconds=60),
        deadline=900,
        watch_memory="worker",
    ),
}
# What CI runs (under 6 minutes with the stack's start): the claims that matter most.
CI_SUBSET = ("redis-stopped-20s", "worker-kill-9", "postgres-down-60s")


def table(tallies: list[Tally]) -> str:
    header = (
        f"{'scenario':<28} {'sent':>5} {'done':>5} {'lost':>5} {'dup':>4} {'branded':>8} "
        f"{'bad 5xx':>8} {'slowest':>8} {'recovery':>9}"
    )
    lines = [header, "-" * len(header)]
    for t in tallies:
        recovery = f"{t.recovery:.0f}s" if t.recovery is not None else "-"
        lines.append(
            f"{t.name:<28} {t.sent:>5} {t.done:>5} {t.lost:>5} {t.duplicated:>4} "
            f"{t.branded_503:>8} {t.bad_5xx:>8} {t.slowest:>7.1f}s {recovery:>9}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"names, or 'all'; default: {CI_SUBSET}")
    args = parser.parse_args(argv)
    names = args.scenarios or os.environ.get("CHAOS_SCENARIOS", "").split() or list(CI_SUBSET)
    if names == ["all"]:
        names = list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown or not (BASE_URL and MAIL_API and COMPOSE):
        parser.error(f"unknown scenarios {unknown}" if unknown else "run me via scripts/chaos.sh")
    tallies: list[Tally] = []
    for name in names:
        tally = Tally(name)
        log(f"scenario {name}: {SCENARIOS[name].summary}")
        if not resolver_works():
            tally.failures.append("the Docker engine's DNS does not answer inside the stack")
            tallies.append(tally)
            continue
        started = time.monotonic()
        try:
            SCENARIOS[name].run(tally)
        except Exception as exc:  # a scenario that cannot finish is a failed one, with a reason
            tally.bad_5xx += 1
            tally.failures.append(f"aborted: {type(exc).__name__}: {exc}")
        wait_healthy()
        log(f"scenario {name} took {time.monotonic() - started:.0f}s: {tally}")
        tallies.append(tally)
    print(table(tallies))
    for t in tallies:
        answers = [f"{count}x {status}" for status, count in t.statuses.most_common(4)]
        for note in [
            *t.failures,
            *t.notes,
            *(["5xx seen: " + ", ".join(answers)] if answers else []),
            f"slowest answer: {t.slowest_request} in {t.slowest:.1f}s",
        ][:9]:
            print(f"  {t.name}: {note}")
    passed = sum(t.ok for t in tallies)
    print(f"chaos: {passed} passed, {len(tallies) - passed} failed")
    return 0 if passed == len(tallies) else 1


if __name__ == "__main__":
    sys.exit(main())

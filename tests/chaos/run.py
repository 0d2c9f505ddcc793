"""The chaos scenarios: break a running stack while simulated users work, then count.

Started by scripts/chaos.sh (`make chaos`), which brings the stack up and sets CHAOS_*. Every
scenario drives real users through nginx (register, reset a password, export, publish), injects
one fault with `docker compose` (kill -9, stop, restart), waits for the work to finish, and
counts from the mail sink and the database:

  sent        work the site accepted (a 2xx/3xx answer: the user was told it is under way)
  done        of that, what was delivered (the mail arrived, the export finished)
  lost        sent - done once the scenario's deadline has passed
  dup         mails delivered more than once (at-least-once delivery; see docs/operations.md)
  branded     5xx answers that are a branded page (Folio's 503, nginx's unavailable page) or
              problem+json: allowed only while a dependency is down
  bad 5xx     any other 5xx, or a 5xx that is not branded: must be 0
  recovery    seconds from the fault's end until the last piece of work was done

A user who gets a branded 503 does what the page says: waits and sends the form again.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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
    recovery: float | None = None
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
        for answer in (*response.history, response):
            if answer.status_code < 500:
                continue
            with self._lock:
                self.statuses[
                    f"{answer.status_code} {answer.request.method} {_route(answer.url)}"
                ] += 1
                if is_branded(answer):
                    self.branded_503 += 1
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


# --- waiting for the work -------------------------------------------------------------------


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


def exports_done(names: Iterable[str]) -> int:
    names = list(names)
    if not names:
        return 0
    done = psql(
        "SELECT count(*) FROM exports e JOIN users u ON u.id = e.user_id "
        "WHERE u.username = ANY(string_to_array(:'names', ',')) AND e.status = 'done'",
        names=",".join(names),
    )
    return int(done or 0)


def settle(
    tally: Tally,
    expected_mails: list[tuple[str, str]],
    exporters: list[str],
    *,
    since: float,
    timeout: float,
) -> None:
    """Wait until every expected mail and export is there (or the deadline); count the rest."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            counts = mails()
            delivered = sum(1 for key in expected_mails if counts[key])
            done = delivered + exports_done(exporters)
        except (requests.RequestException, RuntimeError) as exc:
            log(f"cannot count yet: {exc}")
            done = -1
        if done == len(expected_mails) + len(exporters) or time.monotonic() >= deadline:
            break
        time.sleep(2)
    tally.done = max(done, 0)
    tally.duplicated = sum(max(0, counts[key] - 1) for key in set(expected_mails))
    if done == len(expected_mails) + len(exporters):
        tally.recovery = round(time.monotonic() - since, 1)


def in_parallel(jobs: list[Callable[[], object]], workers: int = 8) -> list[object]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [future.result() for future in [pool.submit(job) for job in jobs]]


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


class Browsing:
    def __init__(self, tally: Tally, readers: int = 2) -> None:
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=browse, args=(tally, self.stop), daemon=True)
            for _ in range(readers)
        ]

    def __enter__(self) -> Browsing:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=40)


# --- the scenarios --------------------------------------------------------------------------


def redis_stopped_20s(tally: Tally) -> None:
    """Both Redis servers stopped for 20 s while users register, reset, export and publish."""
    author, follower, *readers = make_users(tally, 2 + 4)
    resetters, exporting = readers[:2], readers[2:]
    follow(follower, author)
    author.log_in()
    for reader in exporting:
        reader.log_in()
    newcomers = [User(tally) for _ in range(8)]
    expected: list[tuple[str, str]] = []
    exporters: list[str] = []
    titles = [f"Outage note {n} {uuid.uuid4().hex[:6]}" for n in range(3)]

    with Browsing(tally):
        compose("stop", "redis", "cache")
        stopped = time.monotonic()
        until = stopped + 60

        def register(user: User) -> None:
            if user.register(until):
                tally.accepted()
                expected.append((user.email, CONFIRM))

        def reset(user: User) -> None:
            if user.request_reset(until):
                tally.accepted()
                expected.append((user.email, RESET))

        def export(user: User) -> None:
            if user.start_export(until):
                tally.accepted()
                exporters.append(user.name)

        def publish() -> None:
            for title in titles:
                if author.publish(title, until):
                    tally.accepted()
                    expected.append((follower.email, f"New on Folio: {title}"))

        in_parallel(
            [lambda u=u: register(u) for u in newcomers]
            + [lambda u=u: reset(u) for u in resetters]
            + [lambda u=u: export(u) for u in exporting]
            + [publish]
        )
        remaining = 20 - (time.monotonic() - stopped)
        if remaining > 0:
            time.sleep(remaining)
        tally.notes.append(f"Redis away {time.monotonic() - stopped:.0f}s")
        compose("start", "redis", "cache")
        back = time.monotonic()
        settle(tally, expected, exporters, since=back, timeout=60)


def worker_killed(tally: Tally) -> None:
    """kill -9 the worker container right after 20 sign-ups and an export; start it again."""
    (exporter,) = make_users(tally, 1)
    seed_posts(exporter, 20_000)
    exporter.log_in()
    newcomers = [User(tally) for _ in range(20)]
    expected: list[tuple[str, str]] = []
    until = time.monotonic() + 120

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    exporters = [exporter.name] if exporter.start_export(until) else []
    tally.accepted(len(exporters))
    in_parallel([lambda u=u: register(u) for u in newcomers])
    compose("kill", "-s", "SIGKILL", "worker")
    killed = time.monotonic()
    time.sleep(3)
    compose("start", "worker")
    settle(tally, expected, exporters, since=killed, timeout=240)


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


def pool_child_killed(tally: Tally) -> None:
    """kill -9 one prefork child while a 20,000-post export and sign-ups run."""
    (exporter,) = make_users(tally, 1)
    seed_posts(exporter, 20_000)
    exporter.log_in()
    until = time.monotonic() + 120
    exporters = [exporter.name] if exporter.start_export(until) else []
    tally.accepted(len(exporters))
    newcomers = [User(tally) for _ in range(10)]
    expected: list[tuple[str, str]] = []

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    in_parallel([lambda u=u: register(u) for u in newcomers])
    killed_pid = compose("exec", "-T", "worker", "python", "-c", KILL_A_POOL_CHILD).strip()
    tally.notes.append(f"killed pool child {killed_pid}")
    settle(tally, expected, exporters, since=time.monotonic(), timeout=240)


def stopped_during_long_export(tally: Tally) -> None:
    """`compose stop worker` (warm shutdown) in the middle of a 100,000-post export."""
    (exporter,) = make_users(tally, 1)
    seed_posts(exporter, 100_000)
    exporter.log_in()
    exporters = [exporter.name] if exporter.start_export(time.monotonic() + 60) else []
    tally.accepted(len(exporters))
    time.sleep(10)
    compose("stop", "worker")
    compose("start", "worker")
    settle(tally, [], exporters, since=time.monotonic(), timeout=300)


def redis_restarted_with_300_queued(tally: Tally) -> None:
    """300 sign-up mails queued with the worker stopped; Redis restarts; nothing is lost."""
    compose("stop", "worker")
    newcomers = [User(tally) for _ in range(300)]
    expected: list[tuple[str, str]] = []
    until = time.monotonic() + 600

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    in_parallel([lambda u=u: register(u) for u in newcomers], workers=4)
    compose("restart", "redis")
    compose("start", "worker")
    settle(tally, expected, [], since=time.monotonic(), timeout=300)


def postgres_down_60s(tally: Tally) -> None:
    """Postgres stopped for 60 s with 20 mail tasks in flight; users keep arriving."""
    newcomers = [User(tally) for _ in range(20)]
    expected: list[tuple[str, str]] = []
    until = time.monotonic() + 120

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    # The worker is paused while they sign up, so all 20 tasks are still to run when the
    # database goes: the worker meets the outage with every one of them in hand.
    compose("pause", "worker")
    try:
        in_parallel([lambda u=u: register(u) for u in newcomers])
        compose("stop", "db")
    finally:
        compose("unpause", "worker")
    stopped = time.monotonic()
    with Browsing(tally):
        late = [User(tally) for _ in range(3)]
        until = stopped + 120  # they keep trying until after the database is back
        threads = [threading.Thread(target=register, args=(user,), daemon=True) for user in late]
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, 60 - (time.monotonic() - stopped)))
        tally.notes.append(f"Postgres away {time.monotonic() - stopped:.0f}s")
        compose("start", "db")
        back = time.monotonic()
        settle(tally, list(expected), [], since=back, timeout=180)
        in_flight_recovery = tally.recovery
        for thread in threads:
            thread.join(timeout=max(1.0, until - time.monotonic()))
    settle(tally, expected, [], since=back, timeout=60)
    # The figure that matters: how long the tasks caught by the outage took once it ended.
    tally.recovery = in_flight_recovery


def postgres_restarted_under_load(tally: Tally) -> None:
    """`compose restart db` while readers browse and users sign up."""
    newcomers = [User(tally) for _ in range(15)]
    expected: list[tuple[str, str]] = []
    until = time.monotonic() + 120

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    with Browsing(tally, readers=3):
        threads = [threading.Thread(target=register, args=(u,), daemon=True) for u in newcomers]
        for thread in threads:
            thread.start()
        time.sleep(2)
        compose("restart", "db")
        back = time.monotonic()
        for thread in threads:
            thread.join(timeout=120)
    settle(tally, expected, [], since=back, timeout=180)


def web_recreated_under_load(tally: Tally) -> None:
    """web recreated (a deploy) while readers browse and users sign up."""
    newcomers = [User(tally) for _ in range(10)]
    expected: list[tuple[str, str]] = []
    until = time.monotonic() + 120

    def register(user: User) -> None:
        if user.register(until):
            tally.accepted()
            expected.append((user.email, CONFIRM))

    with Browsing(tally, readers=3):
        threads = [threading.Thread(target=register, args=(u,), daemon=True) for u in newcomers]
        for thread in threads:
            thread.start()
        compose("up", "-d", "--no-deps", "--force-recreate", "--wait", "web")
        back = time.monotonic()
        for thread in threads:
            thread.join(timeout=120)
    settle(tally, expected, [], since=back, timeout=120)


def big_export(tally: Tally) -> None:
    """An account with 260,000 posts exports within the worker's memory limit."""
    (exporter,) = make_users(tally, 1)
    seeded = time.monotonic()
    seed_posts(exporter, 260_000)
    tally.notes.append(f"seeded 260,000 posts in {time.monotonic() - seeded:.0f}s")
    exporter.log_in()
    exporters = [exporter.name] if exporter.start_export(time.monotonic() + 60) else []
    tally.accepted(len(exporters))
    started = time.monotonic()
    settle(tally, [], exporters, since=started, timeout=480)
    peak = max_task_rss_mb()
    tally.notes.append(f"built in {time.monotonic() - started:.0f}s, peak task RSS {peak} MB")
    limit = int(os.environ.get("CHAOS_EXPORT_RSS_LIMIT_MB", "200"))
    if peak is None or peak > limit:
        tally.failures.append(f"peak task RSS {peak} MB is over the {limit} MB budget")


def max_task_rss_mb() -> int | None:
    """The largest peak RSS an export slice reported in the worker's log."""
    logs = compose("logs", "--no-color", "worker")
    peaks = [int(m) for m in re.findall(r'"max_rss_mb": (\d+)', logs)]
    return max(peaks) if peaks else None


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


SCENARIOS: dict[str, Callable[[Tally], None]] = {
    "worker-kill-9": worker_killed,
    "pool-child-kill-9": pool_child_killed,
    "stop-during-long-export": stopped_during_long_export,
    "redis-restart-300-queued": redis_restarted_with_300_queued,
    "redis-stopped-20s": redis_stopped_20s,
    "postgres-restart-under-load": postgres_restarted_under_load,
    "postgres-down-60s": postgres_down_60s,
    "web-recreated-under-load": web_recreated_under_load,
    "export-260k-posts": big_export,
}
# What CI runs (under 10 minutes with the stack's start): the claims that matter most.
CI_SUBSET = ("redis-stopped-20s", "worker-kill-9", "postgres-down-60s")


def table(tallies: list[Tally]) -> str:
    header = (
        f"{'scenario':<30} {'sent':>5} {'done':>5} {'lost':>5} {'dup':>4} {'branded':>8} "
        f"{'bad 5xx':>8} {'recovery':>9}"
    )
    lines = [header, "-" * len(header)]
    for t in tallies:
        recovery = f"{t.recovery:.0f}s" if t.recovery is not None else "-"
        lines.append(
            f"{t.name:<30} {t.sent:>5} {t.done:>5} {t.lost:>5} {t.duplicated:>4} "
            f"{t.branded_503:>8} {t.bad_5xx:>8} {recovery:>9}"
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
        log(f"scenario {name}: {SCENARIOS[name].__doc__}")
        if not resolver_works():
            tally.failures.append("the Docker engine's DNS does not answer inside the stack")
            tallies.append(tally)
            continue
        started = time.monotonic()
        try:
            SCENARIOS[name](tally)
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
        ][:8]:
            print(f"  {t.name}: {note}")
    passed = sum(t.ok for t in tallies)
    print(f"chaos: {passed} passed, {len(tallies) - passed} failed")
    return 0 if passed == len(tallies) else 1


if __name__ == "__main__":
    sys.exit(main())

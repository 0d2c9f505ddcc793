"""compose.yaml keeps to the stack's hardening rules, as Compose and as Swarm read it.

Read from `docker compose config` and from `docker stack config -c compose.yaml -c
compose.swarm.yaml` (the Swarm deployment). Every long-running service: non-root, read-only
root, all capabilities dropped (added back only from an allowlist), no-new-privileges, memory
and pids limits, rotated json-file logs, a restart policy and a healthcheck. Only nginx
publishes a port (on 127.0.0.1 by default under Compose); db and redis sit on internal networks
nginx is not on.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# Services that run once and exit: no restart policy, no healthcheck.
ONE_SHOT = {"migrate"}
# Capabilities a service may add back after dropping ALL; nothing needs any today.
CAP_ALLOWLIST: dict[str, set[str]] = {}
FORBIDDEN_HOST_PORTS = {5432, 6379}
# Held to the same rules; added only on request (make monitoring, make acme), for Compose alone.
OPTIONAL_FILES = ("compose.monitoring.yaml", "compose.acme.yaml")
ALWAYS = {"nginx", "web", "worker", "beat", "migrate", "backup", "db", "redis", "cache"}
OPTIONAL = {"exporter", "prometheus", "acme"}
REQUIRED = {
    "SECRET_KEY": "x" * 40,
    "POSTGRES_PASSWORD": "policy-test-password",
    "SERVER_NAME": "folio.test",
}

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the docker CLI with the compose plugin"
)


@contextmanager
def env_file(env: dict[str, str]) -> Iterator[Path]:
    """.env.example with `env` on top, as a deployment's .env; the app services read it too."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stack.env"
        values = {**env, "FOLIO_ENV_FILE": str(path)}
        path.write_text(
            (ROOT / ".env.example").read_text() + "".join(f"{k}={v}\n" for k, v in values.items())
        )
        yield path


def compose_config(*files: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    with env_file(env or REQUIRED) as path:
        args = ["docker", "compose", "--env-file", str(path)]
        for name in files:
            args += ["-f", str(ROOT / name)]
        result = subprocess.run(  # fixed arguments
            [*args, "config", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
        )
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return json.loads(result.stdout)


def stack_config(*files: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """What `docker stack deploy` would deploy, with `env` as the deploying shell's variables."""
    args = ["docker", "stack", "config"]
    for name in files:
        args += ["-c", str(ROOT / name)]
    with env_file({}) as path:
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            env={
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": str(Path.home()),
                "FOLIO_ENV_FILE": str(path),
                **(env or {}),
            },
        )
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    return yaml.safe_load(result.stdout)


def require_compose() -> None:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker compose plugin is missing")


@pytest.fixture(scope="module")
def compose_only() -> dict[str, Any]:
    require_compose()
    return compose_config("compose.yaml", *OPTIONAL_FILES)


@pytest.fixture(scope="module")
def swarm() -> dict[str, Any]:
    return stack_config("compose.yaml", "compose.swarm.yaml", env={"SERVER_NAME": "folio.test"})


@pytest.fixture(scope="module", params=["compose", "swarm"])
def config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The stack as each orchestrator reads it; tests taking it run once for each."""
    if request.param == "compose":
        return request.getfixturevalue("compose_only")
    return request.getfixturevalue("swarm")


def limits(service: dict[str, Any]) -> dict[str, Any]:
    return service.get("deploy", {}).get("resources", {}).get("limits", {})


def command_of(service: dict[str, Any]) -> list[str]:
    return list(service.get("command") or [])


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return config["services"]


def dockerfile_user(dockerfile: Path, build_args: dict[str, str], target: str | None) -> str | None:
    """The user of the image's `target` stage (default: the last), with build arguments filled in.

    A stage without a USER of its own runs as the stage it starts FROM.
    """
    defaults: dict[str, str] = {}
    stages: dict[str, tuple[str, str | None]] = {}  # name: (base, user)
    name = base = ""
    user = None
    for line in dockerfile.read_text().splitlines():
        words = line.strip().split()
        if not words:
            continue
        if words[0].upper() == "FROM":
            if name:
                stages[name] = (base, user)
            base, name, user = words[1], words[3] if len(words) > 3 else words[1], None
        elif words[0].upper() == "ARG" and "=" in words[1]:
            arg, value = words[1].split("=", 1)
            defaults[arg] = value
        elif words[0].upper() == "USER":
            user = words[1]
    stages[name] = (base, user)
    stage = target or name
    while stage in stages and stages[stage][1] is None:
        stage = stages[stage][0]
    user = stages.get(stage, ("", None))[1]
    if user is None:
        return None
    values = {**defaults, **{k: str(v) for k, v in build_args.items() if v is not None}}
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(0)), user)


def effective_user(
    name: str, services: dict[str, dict[str, Any]], builds: dict[str, dict[str, Any]]
) -> str | None:
    service = services[name]
    if service.get("user"):
        return str(service["user"])
    # Swarm's view has no build sections; the images are the ones Compose builds.
    builders = [s for s in builds.values() if s.get("build") and s.get("image") == service["image"]]
    for builder in builders:
        build = builder["build"]
        dockerfile = Path(build["context"]) / build["dockerfile"]
        user = dockerfile_user(dockerfile, build.get("args", {}), build.get("target"))
        if user:
            return user
    return None


def is_root(user: str | None) -> bool:
    if user is None:
        return True
    name = user.split(":")[0]
    return name in {"0", "root"} or "$" in name


def test_the_stack_has_its_services(services: dict[str, Any]) -> None:
    assert ALWAYS <= set(services) <= ALWAYS | OPTIONAL


def test_optional_services_start_only_when_their_file_is_added() -> None:
    require_compose()
    assert set(compose_config("compose.yaml")["services"]) == ALWAYS
    assert set(compose_config("compose.yaml", *OPTIONAL_FILES)["services"]) == ALWAYS | OPTIONAL


@pytest.mark.parametrize("rule", ["read_only", "cap_drop", "no_new_privileges", "limits", "logs"])
def test_every_service_is_hardened(services: dict[str, dict[str, Any]], rule: str) -> None:
    broken = []
    for name, service in services.items():
        if rule == "read_only" and service.get("read_only") is not True:
            broken.append(name)
        elif rule == "cap_drop":
            added = set(service.get("cap_add", []))
            allowed = CAP_ALLOWLIST.get(name, set())
            if "ALL" not in service.get("cap_drop", []) or not added <= allowed:
                broken.append(name)
        elif rule == "no_new_privileges":
            if "no-new-privileges:true" not in service.get("security_opt", []):
                broken.append(name)
        elif rule == "limits":
            # Under deploy.resources, where both Compose and Swarm read them.
            if not limits(service).get("memory") or not limits(service).get("pids"):
                broken.append(name)
        elif rule == "logs":
            logging = service.get("logging", {})
            options = logging.get("options", {})
            if logging.get("driver") != "json-file" or not {"max-size", "max-file"} <= set(options):
                broken.append(name)
    assert not broken, f"{rule} is missing on: {', '.join(sorted(broken))}"


def test_every_service_runs_as_a_non_root_user(
    services: dict[str, Any], compose_only: dict[str, Any]
) -> None:
    builds = compose_only["services"]
    rooted = [name for name in services if is_root(effective_user(name, services, builds))]
    assert not rooted, f"running as root: {rooted}"


def test_long_running_services_restart_and_report_health(services: dict[str, Any]) -> None:
    for name, service in services.items():
        # Swarm ignores `restart`; its restart_policy defaults to "any".
        swarm_policy = service.get("deploy", {}).get("restart_policy", {}).get("condition", "any")
        if name in ONE_SHOT:
            assert service.get("restart", "no") == "no", name
            continue
        assert service.get("restart") == "unless-stopped", name
        assert swarm_policy == "any", name
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"


def test_only_nginx_publishes_and_only_on_loopback(services: dict[str, Any]) -> None:
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing == {"nginx"}
    for port in services["nginx"]["ports"]:
        # Swarm's routing mesh knows no address (stack config drops it): every node answers on
        # the port, and the firewall or load balancer in front decides who reaches it
        # (docs/scale-out.md). Compose keeps it on loopback.
        assert port.get("host_ip") in {"127.0.0.1", None}
        assert int(port["published"]) not in FORBIDDEN_HOST_PORTS


def test_compose_publishes_on_loopback_only(compose_only: dict[str, Any]) -> None:
    assert {p["host_ip"] for p in compose_only["services"]["nginx"]["ports"]} == {"127.0.0.1"}


def test_the_one_shot_migration_runs_once_under_swarm(swarm: dict[str, Any]) -> None:
    deploy = swarm["services"]["migrate"]["deploy"]
    assert deploy["restart_policy"]["condition"] == "on-failure"
    assert deploy.get("replicas", 1) == 1


def test_development_override_publishes_on_loopback_away_from_local_servers() -> None:
    services = compose_config("compose.yaml", "compose.override.yaml")["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", name
            assert int(port["published"]) not in FORBIDDEN_HOST_PORTS, name


def test_db_and_redis_are_out_of_nginx_reach(config: dict[str, Any]) -> None:
    services = config["services"]
    nginx_networks = set(services["nginx"]["networks"])
    for name in ("db", "redis", "cache"):
        networks = set(services[name]["networks"])
        assert not networks & nginx_networks, name
        assert all(config["networks"][n].get("internal") for n in networks), name


def test_app_services_wait_for_the_migration(services: dict[str, Any]) -> None:
    # Neither orchestrator can hold them back in both files, so each process waits itself.
    for name in ("web", "worker", "beat"):
        assert command_of(services[name])[:4] == ["python", "-m", "folio_common.schema_gate", "--"]
        assert "migrate" in services[name]["depends_on"], name
    assert command_of(services["migrate"])[-3:-1] == ["migrate", "--wait"]


def test_there_is_exactly_one_beat(services: dict[str, Any]) -> None:
    beats = [name for name, s in services.items() if "beat" in (s.get("command") or [])]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    # A Swarm update must not run a second beat beside the first, even briefly.
    update = services["beat"].get("deploy", {}).get("update_config", {})
    assert update.get("order", "stop-first") == "stop-first"
    schedule = next(a for a in services["beat"]["command"] if a.startswith("--schedule="))
    mounted = [v["target"] for v in services["beat"].get("volumes", [])]
    mounted += list(services["beat"].get("tmpfs", []))
    assert any(schedule.split("=", 1)[1].startswith(m.split(":")[0]) for m in mounted)


def _seconds(value: str | int) -> float:
    if isinstance(value, int | float):
        return value / 1e9 if value > 10_000 else value  # compose gives nanoseconds
    parts = re.findall(r"(\d+)(h|m|s)", value)
    assert parts and "".join(n + u for n, u in parts) == value, value
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def test_gunicorn_finishes_requests_before_docker_kills_web(services: dict[str, Any]) -> None:
    web = services["web"]
    assert int(web["environment"]["GUNICORN_GRACEFUL_TIMEOUT"]) < _seconds(web["stop_grace_period"])


def test_worker_shuts_down_warm_within_its_grace_period(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert int(worker["environment"]["TASK_TIME_LIMIT"]) < _seconds(worker["stop_grace_period"])


def test_db_checks_health_over_tcp_and_has_shared_memory(services: dict[str, Any]) -> None:
    db = services["db"]
    assert "pg_isready" in db["healthcheck"]["test"] and "127.0.0.1" in db["healthcheck"]["test"]
    assert db.get("shm_size")
    assert any(v["type"] == "volume" for v in db["volumes"])


def test_web_and_worker_scale_out_and_update_start_first(swarm: dict[str, Any]) -> None:
    services = swarm["services"]
    assert services["web"]["deploy"]["replicas"] == 3
    assert services["worker"]["deploy"]["replicas"] == 2
    for name in ("web", "worker", "nginx"):
        deploy = services[name]["deploy"]
        assert deploy["update_config"]["order"] == "start-first", name
        assert deploy["rollback_config"]["order"] == "start-first", name
    # nginx balances over the replicas itself, from the addresses Docker's DNS gives.
    assert services["web"]["deploy"]["endpoint_mode"] == "dnsrr"


def test_stateful_services_stay_single_and_placed(swarm: dict[str, Any]) -> None:
    for name in ("db", "redis", "beat"):
        deploy = swarm["services"][name].get("deploy", {})
        assert deploy.get("replicas", 1) == 1, name
        assert any(c.startswith("node.labels.folio.") for c in deploy["placement"]["constraints"])
    # Pooled connections to them idle longer than IPVS remembers a connection (15 minutes).
    for name in ("db", "redis"):
        assert swarm["services"][name]["deploy"]["endpoint_mode"] == "dnsrr", name


def test_swarm_mounts_the_scratch_space_compose_gives_as_tmpfs(swarm: dict[str, Any]) -> None:
    services = swarm["services"]
    for name, service in services.items():
        wanted = {entry.split(":")[0] for entry in service.get("tmpfs", [])}
        mounted = {v["target"] for v in service.get("volumes", []) if v["type"] == "tmpfs"}
        assert wanted <= mounted, f"{name} lacks {wanted - mounted}"


def test_swarm_secrets_come_from_the_files_the_settings_name(tmp_path: Path) -> None:
    files = {}
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "MAIL_PASSWORD"):
        files[name] = tmp_path / name.lower()
        files[name].write_text("s" * 48)
    config = stack_config(
        "compose.yaml",
        "compose.swarm.yaml",
        env={"SERVER_NAME": "folio.test"}
        | {f"{name}_FILE": str(path) for name, path in files.items()},
    )
    assert config["secrets"]["secret_key"]["file"] == str(files["SECRET_KEY"])
    assert config["secrets"]["db_password"]["file"] == str(files["POSTGRES_PASSWORD"])
    web = config["services"]["web"]["environment"]
    assert web["SECRET_KEY_FILE"] == "/run/secrets/secret_key"
    assert web["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    assert config["services"]["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == (
        "/run/secrets/db_password"
    )


def test_redis_keeps_its_queue(services: dict[str, Any]) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_the_cache_is_bounded_and_evicts_apart_from_the_broker(services: dict[str, Any]) -> None:
    command = services["cache"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    assert command[command.index("--maxmemory") + 1]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["CACHE_REDIS_URL"].startswith("redis://cache:"), name
        assert environment["REDIS_URL"].startswith("redis://redis:"), name


def test_a_dead_workers_tasks_return_within_two_minutes(services: dict[str, Any]) -> None:
    environment = services["worker"]["environment"]
    visibility = int(environment["BROKER_VISIBILITY_TIMEOUT"])
    assert visibility <= 120
    assert int(environment["TASK_TIME_LIMIT"]) < visibility


def test_base_images_default_to_the_official_ones(compose_only: dict[str, Any]) -> None:
    services = compose_only["services"]
    assert services["db"]["image"] == "postgres:17"
    assert services["redis"]["image"] == "redis:8"
    assert services["web"]["build"]["args"]["PYTHON_IMAGE"] == "python:3.13-slim"
    assert services["nginx"]["build"]["args"]["NGINX_IMAGE"].startswith("nginx:1.")


def test_missing_secrets_stop_compose_with_a_message() -> None:
    require_compose()
    with pytest.raises(AssertionError, match="SECRET_KEY"):
        compose_config("compose.yaml", env={"POSTGRES_PASSWORD": "x"})
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        compose_config("compose.yaml", env={"SECRET_KEY": "x" * 40})


def test_a_stack_without_its_public_host_does_not_start() -> None:
    env = {name: value for name, value in REQUIRED.items() if name != "SERVER_NAME"}
    with pytest.raises(AssertionError, match="SERVER_NAME"):
        compose_config("compose.yaml", env=env)


def test_nginx_answers_for_the_configured_host_only(services: dict[str, Any]) -> None:
    assert services["nginx"]["environment"]["SERVER_NAME"] == REQUIRED["SERVER_NAME"]


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    require_compose()
    key = tmp_path / "secret_key"
    key.write_text("k" * 48)
    password = tmp_path / "db_password"
    password.write_text("from-a-file")
    config = compose_config(
        "compose.yaml",
        env={
            "SECRET_KEY_FILE": str(key),
            "POSTGRES_PASSWORD_FILE": str(password),
            "SERVER_NAME": "folio.test",
        },
    )
    assert config["secrets"]["secret_key"]["file"] == str(key)
    web = config["services"]["web"]["environment"]
    assert web["SECRET_KEY_FILE"] == "/run/secrets/secret_key"
    assert web["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    db = config["services"]["db"]["environment"]
    assert db["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db_password"


def test_nginx_reaches_every_web_replica_through_dockers_dns(services: dict[str, Any]) -> None:
    nginx = services["nginx"]
    assert nginx["environment"]["WEB_UPSTREAM"] == "web:8000"
    # No socket shared with web: nginx follows replicas by name. The one volume both mount is the
    # uploaded images, which nginx serves and may only read.
    nginx_volumes = {
        v.get("source"): v.get("read_only", False)
        for v in nginx.get("volumes", [])
        if v["type"] == "volume"
    }
    web_volumes = {v.get("source") for v in services["web"].get("volumes", [])}
    assert nginx_volumes.keys() & web_volumes == {"media"}
    assert nginx_volumes["media"] is True

"""web/gunicorn.conf.py: workers follow the container's CPU quota, settings follow the env."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

CONF = Path(__file__).resolve().parents[2] / "web" / "gunicorn.conf.py"


def load_conf(monkeypatch: pytest.MonkeyPatch, cgroup: Path, **env: str) -> ModuleType:
    monkeypatch.setenv("GUNICORN_CGROUP_ROOT", str(cgroup))
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(8)), raising=False)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_cgroup_v2_quota_sizes_the_workers(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")

    conf = load_conf(monkeypatch, tmp_path)

    assert conf.CPUS == 2
    assert conf.workers == 4
    assert conf.worker_class == "gthread"


def test_a_cgroup_v1_quota_sizes_the_workers(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")

    conf = load_conf(monkeypatch, tmp_path)

    assert conf.CPUS == 1
    assert conf.workers == 2


def test_without_a_quota_the_usable_cpus_count(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")

    conf = load_conf(monkeypatch, tmp_path)

    assert conf.CPUS == 8
    assert conf.workers == 16


def test_every_setting_can_be_overridden(monkeypatch, tmp_path: Path) -> None:
    conf = load_conf(
        monkeypatch,
        tmp_path,
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="6",
        GUNICORN_GRACEFUL_TIMEOUT="7",
        FORWARDED_ALLOW_IPS="172.16.80.0/24",
    )

    assert (conf.workers, conf.threads, conf.graceful_timeout) == (3, 6, 7)
    assert conf.forwarded_allow_ips == "172.16.80.0/24"


def test_logs_are_json_and_the_access_log_is_off(monkeypatch, tmp_path: Path) -> None:
    conf = load_conf(monkeypatch, tmp_path)

    assert conf.accesslog is None
    assert conf.worker_tmp_dir == "/dev/shm"  # noqa: S108 - RAM-backed, not a shared temp dir
    formatter = conf.logconfig_dict["formatters"]["json"]["()"]
    assert formatter == "folio_common.logging.JsonFormatter"


def test_post_fork_disposes_the_preloaded_apps_engines(monkeypatch, tmp_path: Path) -> None:
    from folio_common.config import Settings
    from folio_common.extensions import db
    from folio_web import create_app

    conf = load_conf(monkeypatch, tmp_path)
    settings = Settings.from_env({"FOLIO_ENV": "test"}, instance_path=str(tmp_path))
    app = create_app(settings)
    disposed: list[bool] = []
    with app.app_context():
        for engine in db.engines.values():
            monkeypatch.setattr(engine, "dispose", lambda close=True: disposed.append(close))
    monkeypatch.setitem(sys.modules, "folio_web.wsgi", ModuleType("folio_web.wsgi"))
    sys.modules["folio_web.wsgi"].app = app

    class Server:
        class log:  # stands in for Gunicorn's logger attribute
            @staticmethod
            def debug(*_args: object) -> None:
                pass

    class Worker:
        pid = 1234

    conf.post_fork(Server(), Worker())

    assert disposed and disposed == [False] * len(disposed)

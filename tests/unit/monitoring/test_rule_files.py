"""The alert rules and the Grafana dashboard ask only for metrics Folio's code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    ROOT / "web" / "folio_web" / "metrics.py",
    ROOT / "worker" / "folio_worker" / "metrics.py",
    ROOT / "worker" / "folio_worker" / "exporter.py",
]
NAME = re.compile(r"\bfolio_[a-z_]+\b")
# Prometheus adds these series to every histogram.
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def exported() -> set[str]:
    names: set[str] = set()
    for source in SOURCES:
        for name in re.findall(r'"(folio_[a-z_]+)"', source.read_text()):
            names |= {name, *(name + suffix for suffix in HISTOGRAM_SUFFIXES)}
    return names


def test_every_alert_uses_exported_metrics() -> None:
    rules = (ROOT / "monitoring" / "prometheus" / "alerts.yml").read_text()
    exprs = "\n".join(re.findall(r"expr: (.*(?:\n {10,}.*)*)", rules))

    used = set(NAME.findall(exprs))

    assert used, "no metric found in the alert rules"
    assert used <= exported(), used - exported()


def test_every_dashboard_panel_uses_exported_metrics() -> None:
    dashboard = json.loads((ROOT / "monitoring" / "grafana" / "folio.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]

    used = {name for expr in exprs for name in NAME.findall(expr)}

    assert len(exprs) >= 15
    assert used <= exported(), used - exported()

"""The alarm budget's targets (the alarms issue) on a subset CI can afford, with the server's alert rules
run offline (`cardiowatch.server.alert_replay`) and the budget's own scoring (``benchmarks/alarm_budget.py``).

The full budget (every mitdb record, all of nsr2db and nsrdb, pulse intervals, the DS2 replay) takes tens
of minutes and is run by that script into docs/benchmarks.md; here: the DS2 records that hold VT episodes
from their signal (as the device sends it, 1-s frames) and the first nsr2db records from their beats,
about a minute of analysis. A missed target is a strict xfail naming the figure measured on this subset
(``benchmarks/alarm_budget.py --sources mitdb --records 200,210,213,214,221,233``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BUDGET = Path(__file__).resolve().parents[2] / "benchmarks" / "alarm_budget.py"
#: DS2 records with reference VT episodes (the others' false alerts are in the full budget).
DS2_VT_RECORDS = ("200", "210", "213", "214", "221", "233")
NSR2DB_RECORDS = ("nsr001", "nsr002", "nsr003", "nsr004")
MAX_FALSE_VT_AF_PER_H = 0.2
MAX_FALSE_AF_PER_24H = 1.0

pytestmark = [pytest.mark.data, pytest.mark.slow]


def _budget():
    spec = importlib.util.spec_from_file_location("alarm_budget", BUDGET)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def budget():
    return _budget()


@pytest.fixture(scope="module")
def ds2_vt(budget, mitdb) -> dict:
    return budget.summarise([budget.mitdb_record(name) for name in DS2_VT_RECORDS])["mitdb DS2"]


@pytest.fixture(scope="module")
def nsr2db_beats(budget, nsr2db) -> dict:
    return budget.summarise([budget.interval_record(nsr2db, name, pulse=False) for name in NSR2DB_RECORDS])["nsr2db"]


@pytest.mark.xfail(strict=True, reason="target: every VT episode alerted within 10 s; measured 16 of 21 on "
                   "these DS2 records offline")
def test_every_vt_episode_is_alerted_in_time(ds2_vt) -> None:
    hits = ds2_vt["episodes"]["VT"]
    assert len(hits) == 21
    assert all(delay is not None for _, _, delay in hits), [h for h in hits if h[2] is None]


@pytest.mark.xfail(strict=True, reason="target: <= 0.2 false VT/AF alerts per hour; measured 0.66 on these "
                   "DS2 records offline")
def test_false_vt_and_af_alerts_stay_within_the_budget(ds2_vt) -> None:
    per_hour = (ds2_vt["false"]["VT"] + ds2_vt["false"]["AF"]) / ds2_vt["hours"]
    assert per_hour <= MAX_FALSE_VT_AF_PER_H, ds2_vt["false_list"]


def test_held_out_normal_sinus_rhythm_raises_at_most_one_false_af_alert_a_day(nsr2db_beats) -> None:
    per_24h = 24 * nsr2db_beats["false"]["AF"] / nsr2db_beats["hours"]
    assert nsr2db_beats["hours"] > 80
    assert per_24h <= MAX_FALSE_AF_PER_24H, nsr2db_beats["false_list"]

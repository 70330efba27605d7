"""Audit (issue 5, upload): a bad ``--connect`` string is a typed UploadError naming the string and the fix, found
before any link is opened, never a bare pymavlink exception (ModuleNotFoundError 'serial', OverflowError from bind).

Oracle: the accepted forms are pymavlink's documented connection strings (udp:/udpin:/udpout:/tcp: HOST:PORT,
port 1-65535, or a serial device); the CLI check runs the real console script in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from flightplans.errors import UploadError
from flightplans.mission import MavItem
from flightplans.vehicle.upload import check_connection, upload_items

ITEM = MavItem(16, 3, (0.0, 0.0, 0.0, 0.0), 37.6, 127.0, 50.0, 1)


@pytest.mark.parametrize("url, words", [
    ("udp:127.0.0.1:99999", "1-65535"),
    ("udp:14550", "PROTOCOL:HOST:PORT"),
    ("tcp:localhost:abc", "PROTOCOL:HOST:PORT"),
    ("udpin::14550", "PROTOCOL:HOST:PORT"),
    ("/dev/firewatch-no-such-radio", "no such serial device"),
    ("bogus", "no such serial device"),
])
def test_bad_connection_strings_are_refused_with_the_fix(url, words):
    started = time.monotonic()
    with pytest.raises(UploadError) as caught:
        upload_items([ITEM], url, timeout_s=0.2, heartbeat_timeout_s=0.2)
    assert time.monotonic() - started < 0.2  # refused up front: no heartbeat wait
    message = str(caught.value)
    assert url in message and words in message and "udp:0.0.0.0:14550" in message


@pytest.mark.parametrize("url", ["udp:0.0.0.0:14550", "udpin:127.0.0.1:14550", "udpout:10.0.0.2:14550",
                                 "tcp:192.168.1.10:5760", "tcpin:0.0.0.0:5760"])
def test_network_connection_strings_are_accepted(url):
    check_connection(url)  # no exception


def test_cli_bogus_connection_is_a_clear_error_not_a_traceback(tmp_path):
    plan = tmp_path / "orbit.waypoints"
    plan.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t37.6000000\t127.0000000\t50.000000\t1\n"
                    "1\t0\t3\t16\t0\t0\t0\t0\t37.6010000\t127.0010000\t50.000000\t1\n")
    for url in ("bogus", "udp:127.0.0.1:99999"):
        result = subprocess.run([sys.executable, "-m", "firewatch", "upload", str(plan), "--connect", url],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert url in result.stderr and "udp:0.0.0.0:14550" in result.stderr


def test_truncated_plan_file_says_invalid_json_not_missing(tmp_path):
    from flightplans.errors import FlightPlanError
    from flightplans.readers import read_mission_file

    truncated = tmp_path / "orbit.plan"
    truncated.write_text('{"fileType": "Plan", "mission": {"items": [')  # a copy cut short
    with pytest.raises(FlightPlanError) as caught:
        read_mission_file(truncated)
    assert "not valid JSON" in str(caught.value) and "missing" not in str(caught.value)
    assert str(truncated) in str(caught.value) and "export it again" in str(caught.value)

"""Ctrl-C (SIGINT) and SIGTERM stop an embedded ``conformance run`` inside its slowest
probe: the exit code is 130 / 143, the reports of what ran are written and marked
interrupted in every format, the mock and the reference are gone and their ports closed.

Synchronisation is on the run's own output (the plain progress line announcing the slow
probe), never on a sleep. Linux only: children are found through ``/proc``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc/*/stat's ppid field)."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _cmdline(pid: int) -> list[str]:
    return (Path("/proc") / str(pid) / "cmdline").read_text().split("\0")


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_inside_the_slow_probe_stops_everything(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # like a terminal: the signal goes to the harness only
    )
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("waiting for probe stream_slow"):
                break  # every other probe has run; the slow one waits in the background
        else:
            pytest.fail("the run never reached the slow probe:\n" + "".join(seen))
        servers = {pid: _cmdline(pid) for pid in _children(proc.pid) if "-m" in _cmdline(pid)}
        modules = sorted(args[args.index("-m") + 1] for args in servers.values())
        assert modules == ["mockserver", "reference_impl"]
        proxy = next(a for a in servers.values() if "reference_impl" in a)
        mock_url = proxy[proxy.index("--upstream-url") + 1].removesuffix("/v1beta")
        proxy_url = seen[0].split(" run against ")[1].split()[0]
        assert _port_open(mock_url)
        assert _port_open(proxy_url)

        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(f"{sig.name}: exited {took:.2f} s after the signal")

    assert proc.returncode == code, err
    assert out.startswith(f"INTERRUPTED ({sig.name} after "), out
    for pid in servers:
        assert not _alive(pid), f"{servers[pid]} outlived the run"
    assert not _port_open(mock_url)
    assert not _port_open(proxy_url)

    payload = json.loads((tmp_path / "report.json").read_text())
    assert payload["run"]["interrupted"].startswith(f"{sig.name} after ")
    outcomes = {r["check_id"]: (r["outcome"], r["message"]) for r in payload["results"]}
    assert sum(o == "passed" for o, _ in outcomes.values()) > 40, "what ran is reported"
    assert outcomes["clients.openai_python.stream_slow"][1].endswith(
        "not run: the run was interrupted"
    )
    assert "**Verdict:** INTERRUPTED" in (tmp_path / "report.md").read_text()
    assert 'class="verdict interrupted"' in (tmp_path / "report.html").read_text()
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.find(".//testcase[@name='interrupted']/error") is not None
    assert int(junit.get("errors", "0")) >= 1

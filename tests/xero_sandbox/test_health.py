"""The sandbox's health check: what `make run` waits for before it starts the app."""

from __future__ import annotations

import subprocess
import sys

import httpx

from services.devserver import wait_until_up
from xero_sandbox.testing import running_sandbox


def test_health_answers_ok(sandbox):
    answer = httpx.get(f"{sandbox.url}/_sandbox/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_health_answers_with_the_control_endpoints_off():
    with running_sandbox(control=False) as quiet:
        assert httpx.post(f"{quiet.url}/_sandbox/reset").status_code == 404
        answer = httpx.get(f"{quiet.url}/_sandbox/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_make_run_waits_for_the_health_check(sandbox):
    # A stand-in for the sandbox process: alive for as long as the wait may take.
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert wait_until_up(f"{sandbox.url}/_sandbox/health", process=alive) is None
    finally:
        alive.kill()
        alive.wait()


def test_make_run_stops_waiting_when_the_sandbox_died():
    died = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    died.wait()
    # The URL answers nowhere; the dead process must end the wait, not the 60 s timeout.
    problem = wait_until_up("http://127.0.0.1:9/_sandbox/health", process=died, seconds=60)
    assert problem is not None
    assert "exited with 3" in problem

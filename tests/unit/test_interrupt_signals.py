"""SIGTERM under `castforge materialize` is Ctrl-C at once (no second signal sent to the process, which could land
while it exits), and the program, once its exit status is decided, exits with it whatever signal comes then."""

import signal
import subprocess
import sys

import pytest

from orchestration.run_health import sigterm_as_ctrl_c
from resources.paths import REPO_ROOT


@pytest.fixture
def sigint_handler():
    before = signal.getsignal(signal.SIGINT)
    yield lambda handler: signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGINT, before)


def test_sigterm_calls_the_sigint_handler_in_place_at_once(sigint_handler):
    from dagster._utils.interrupts import capture_interrupts, pop_captured_interrupt

    pop_captured_interrupt()
    with capture_interrupts():   # a run executing: Dagster records the interruption, nothing is raised
        sigterm_as_ctrl_c(signal.SIGTERM, None)
        assert pop_captured_interrupt()
    with pytest.raises(KeyboardInterrupt):   # outside a run: Python's Ctrl-C
        sigterm_as_ctrl_c(signal.SIGTERM, None)
    sigint_handler(signal.SIG_IGN)           # a background job of a script ignores Ctrl-C; SIGTERM still stops it
    with pytest.raises(KeyboardInterrupt):
        sigterm_as_ctrl_c(signal.SIGTERM, None)


EXITING = """
import os, signal, sys
sys.argv = ["castforge", "params", "nosuchasset"]   # a command that fails at once: status 2
from orchestration import cli
status = cli.main()
os.kill(os.getpid(), signal.SIG{name})   # a signal that comes while the program exits
sys.exit(status)
"""


@pytest.mark.parametrize("name", ["INT", "TERM"])
def test_a_signal_while_the_program_exits_keeps_its_status(name):
    run = subprocess.run([sys.executable, "-c", EXITING.format(name=name)], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "unknown asset 'nosuchasset'" in run.stderr
    assert "Traceback" not in run.stderr

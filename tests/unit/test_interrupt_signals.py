"""SIGTERM under `castforge materialize` is Ctrl-C at once (no second signal sent to the process, which could land
while it exits), and the program, once its exit status is decided, exits with it whatever signal comes then."""

import os
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



HANDLED_EARLIER = """
import sys
sys.argv = ["castforge", "params", "nosuchasset"]   # a command that fails at once: status 2
from orchestration import cli
exit_undisturbed = cli._exit_undisturbed


def interrupted_in_the_run_then_exit():
    try:   # an interrupt that left an exec of a string and was handled (a stopped step's thread making a dataclass),
        exec("raise KeyboardInterrupt")   # with no other exec of a string after it (each one clears CPython's mark)
    except KeyboardInterrupt:
        pass
    exit_undisturbed()


cli._exit_undisturbed = interrupted_in_the_run_then_exit
sys.exit(cli.main())
"""


def test_an_interrupt_handled_earlier_does_not_end_the_program_by_sigint(tmp_path):
    # run as a module, as `python -m orchestration.cli` is (a script's SystemExit leaves before CPython's check)
    (tmp_path / "handled_earlier.py").write_text(HANDLED_EARLIER)
    run = subprocess.run([sys.executable, "-m", "handled_earlier"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=120,
                         start_new_session=True,   # Ctrl-C's default action, as in a terminal
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert run.returncode == 2, run.stderr   # not -2: CPython's own SIGINT at exit, for an interrupt long handled
    assert "unknown asset 'nosuchasset'" in run.stderr

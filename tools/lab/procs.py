"""Child processes of a lab: started, waited for and stopped by PID, every wait bounded."""

import os
import signal
import subprocess
import time
from typing import Callable, Optional, Sequence, TypeVar

T = TypeVar("T")


class LabError(RuntimeError):
    """Something the lab needed did not happen (a tool failed, a wait timed out)."""


def wait_until(what: str, predicate: Callable[[], Optional[T]], timeout: float,
               interval: float = 0.05, alive: Optional[Callable[[], None]] = None) -> T:
    """Polls `predicate` until it returns something truthy; returns it.

    `alive` (optional) is called on every round and raises when a process the wait depends on has
    died, so a crashed daemon fails the wait at once instead of at the timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def run(cmd: Sequence[str], timeout: float = 30, check: bool = True,
        input_text: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs a short command to completion (bounded); output captured as text."""
    try:
        result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout,
                                input=input_text, check=False)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"command timed out after {timeout} s: {' '.join(cmd)}") from e
    except FileNotFoundError as e:
        raise LabError(f"command not found: {cmd[0]}") from e
    if check and result.returncode != 0:
        raise LabError(f"command failed (exit {result.returncode}): {' '.join(cmd)}\n"
                       f"{result.stderr.strip() or result.stdout.strip()}")
    return result


class Process:
    """One long-running child. Its output goes to a log file; it is stopped by its own PID."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: str, cwd: Optional[str] = None,
                 env: Optional[dict] = None):
        self.name = name
        self.cmd = list(cmd)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        try:
            # A session of its own: Ctrl-C in the terminal reaches only us, and we decide the order
            # in which children stop.
            self.popen = subprocess.Popen(self.cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                          start_new_session=True)
        except OSError:
            self._log.close()
            raise
        self.pid = self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def returncode(self) -> Optional[int]:
        return self.popen.poll()

    def check_alive(self) -> None:
        """Raises LabError with the log's tail if the process has exited."""
        code = self.popen.poll()
        if code is not None:
            raise LabError(f"{self.name} exited with code {code}; last log lines:\n"
                           f"{self.log_tail()}")

    def wait(self, timeout: float) -> int:
        """Waits for a normal exit; raises LabError (process left running) on timeout."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise LabError(f"{self.name} did not finish within {timeout:.0f} s") from e

    def stop(self, sig: int = signal.SIGTERM, grace: float = 5.0) -> Optional[int]:
        """Signals the process by PID, waits up to `grace` s, then SIGKILLs it. Idempotent."""
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                try:
                    self.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass  # unkillable (D state): reported by the caller's cleanup, not hung on
        if not self._log.closed:
            self._log.close()
        return self.popen.poll()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

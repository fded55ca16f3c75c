"""One process trains a run at a time, whichever machine it runs on: a lock file beside the run
folder, `<folder>.lock`, holding the owner's process id, host and start time, with a
modification time refreshed by a heartbeat thread. A second worker on the same run is refused;
a lock whose process is gone (same host) or whose heartbeat stopped (any host) is stale and
taken over, with a warning."""
from __future__ import annotations

import datetime
import json
import logging
import os
import socket
import threading
import time

log = logging.getLogger("sdnet")


class RunLocked(ValueError):
    """The run is being trained by another live process."""


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_owner(owner: dict) -> str:
    return f"process {owner.get('pid')} on {owner.get('host')} (since {owner.get('started')})"


class RunLock:
    def __init__(self, folder, heartbeat_s=30.0, stale_s=300.0):
        self.path = os.path.normpath(folder) + ".lock"
        self.heartbeat_s, self.stale_s = heartbeat_s, stale_s
        self.owner = {"pid": os.getpid(), "host": socket.gethostname()}
        self._stop = threading.Event()
        self._thread = None

    def holder(self):
        """(owner dict, seconds since its last heartbeat), or None if there is no lock."""
        try:
            age = time.time() - os.path.getmtime(self.path)
            with open(self.path) as f:
                owner = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # empty or garbled: being written this instant, or left so by a crash; its age
            # (from the file's time) makes it stale after `stale_s` like a silent owner's
            return {}, age
        return (owner if isinstance(owner, dict) else {}), age

    def is_stale(self, owner, age) -> bool:
        if age > self.stale_s:
            return True
        return owner.get("host") == self.owner["host"] and "pid" in owner and not _alive(owner["pid"])

    def acquire(self):
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                held = self.holder()
                if held is None:
                    continue
                owner, age = held
                if not self.is_stale(owner, age):
                    raise RunLocked(f"{self.path[:-5]} is being trained by {describe_owner(owner)}; not training "
                                    f"it twice" if owner else
                                    f"{self.path} is unreadable (written {age:.0f} s ago): it counts as a live "
                                    f"owner's until {self.stale_s:.0f} s without a change, then it is taken over")
                log.warning("%s: stale lock of process %s on %s (last heartbeat %.0f s ago) taken over",
                            self.path, owner.get("pid"), owner.get("host"), age)
                try:
                    os.remove(self.path)
                except FileNotFoundError:
                    pass
                continue
            with os.fdopen(fd, "w") as f:
                json.dump({**self.owner, "started": datetime.datetime.now(datetime.timezone.utc)
                           .isoformat(timespec="seconds")}, f)
            break
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._thread.start()
        return self

    def _beat(self):
        while not self._stop.wait(self.heartbeat_s):
            try:
                os.utime(self.path)
            except OSError:
                return

    def release(self):
        self._stop.set()
        held = self.holder()
        if held is not None and held[0].get("pid") == self.owner["pid"] and held[0].get("host") == self.owner["host"]:
            os.remove(self.path)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

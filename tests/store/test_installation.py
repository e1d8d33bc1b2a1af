"""An installation database set up by several processes at once (API workers start together):
each finds the tables, none fails."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

SET_UP = """
import sys, time
from pathlib import Path
from commonground.security.directory import Directory
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # start together, imports done
Directory(Path(sys.argv[1])).close()
"""


def test_processes_setting_up_one_home_at_once_all_succeed(tmp_path: Path) -> None:
    for round_ in range(3):
        home, start = tmp_path / f"home{round_}", str(time.time() + 2)
        started = [
            subprocess.Popen(
                [sys.executable, "-c", SET_UP, str(home), start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(4)
        ]
        failures = []
        for process in started:
            _, err = process.communicate(timeout=120)
            if process.returncode != 0:
                failures.append(err.decode(errors="replace")[-300:])
        assert failures == []

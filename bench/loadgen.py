"""The B4 load generator, run as its own process: `python -m bench.loadgen CONFIG.json OUT.json`.

CONFIG: {"url", "seconds", "mode": "trivial" | "mix", "users": {username: [token, [roles it acts on]]},
"malformed": share of malformed requests (mix only)}. Each user has one thread of its own, so a
task is only ever completed by the one thread allowed to take it: a well-formed request has no
reason to fail. A user thread loops: view its inbox (GET /api/v1/tasks), then complete the
first task it may take (POST /api/v1/tasks/ID/ACTION). Malformed requests (unknown routes,
bad ids, unknown actions, bad or missing tokens, invalid JSON, invalid periods) must get 4xx.
"""

from __future__ import annotations

import http.client
import json
import random
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

MALFORMED: list[tuple[str, str, str | None, bool]] = [  # method, path, body, with token
    ("GET", "/api/v1/tasks", None, False),
    ("POST", "/api/v1/tasks/not-a-number/done", "{}", True),
    ("POST", "/api/v1/tasks/999999999/done", "{}", True),
    ("POST", "/api/v1/tasks/1/fly", "{}", True),
    ("POST", "/api/v1/instances", "{not json", True),
    (
        "POST",
        "/api/v1/instances",
        '{"sop_key": "pengukuran-data-kinerja", "unit": "kutorejo", "period": "2024-TW9"}',
        True,
    ),
    ("POST", "/api/v1/instances", "[1, 2, 3]", True),
    ("GET", "/api/v1/instances/abc/history", None, True),
]


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[tuple[str, float, int]] = []  # kind, seconds, status

    def add(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.items.append((kind, seconds, status))


def request(base: Any, method: str, path: str, token: str | None, body: str | None) -> tuple[int, bytes, float]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        data, status = b"", 0
    finally:
        conn.close()
    return status, data, time.perf_counter() - t0


def user_loop(cfg: dict[str, Any], token: str, roles: list[str], deadline: float, rec: Recorder, seed: int) -> None:
    base = urlsplit(cfg["url"])
    rng = random.Random(seed)
    share = float(cfg.get("malformed", 0))
    while time.perf_counter() < deadline:
        if cfg["mode"] == "trivial":
            status, _, dt = request(base, "GET", "/healthz", None, None)
            rec.add("trivial", dt, status)
            continue
        if rng.random() < share:
            method, path, body, with_token = rng.choice(MALFORMED)
            status, _, dt = request(base, method, path, token if with_token else "not-a-token", body)
            rec.add("malformed", dt, status)
            continue
        status, data, dt = request(base, "GET", "/api/v1/tasks", token, None)
        rec.add("inbox", dt, status)
        if status != 200:
            continue
        mine = [t for t in json.loads(data) if t["role"] in roles and t["actions"]]
        if not mine:
            continue
        task = mine[0]
        status, _, dt = request(base, "POST", f"/api/v1/tasks/{task['id']}/{task['actions'][0]}", token, "{}")
        rec.add("complete", dt, status)


def main() -> None:
    cfg = json.loads(open(sys.argv[1]).read())
    rec = Recorder()
    started = time.perf_counter()
    deadline = started + float(cfg["seconds"])
    threads = [
        threading.Thread(target=user_loop, args=(cfg, token, roles, deadline, rec, n), daemon=True)
        for n, (token, roles) in enumerate(cfg["users"].values())
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=float(cfg["seconds"]) + 60)
    elapsed = time.perf_counter() - started
    with open(sys.argv[2], "w") as out:
        json.dump({"elapsed": elapsed, "items": rec.items}, out)


if __name__ == "__main__":
    main()

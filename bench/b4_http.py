"""B4: HTTP under load on the production-like stack (deploy/stack.py): gunicorn, 4 workers, PostgreSQL.

The load comes from a second process (bench/loadgen.py) on 127.0.0.1, one thread per demo user
(Kutorejo's 10 people who take part in S4), each viewing its inbox and completing the tasks it
may take, over S4 cycles started beforehand through the API. Three phases of equal length: a
trivial endpoint (/healthz, which reads the schema revision) for the reference throughput, the
mix, and the mix with 10% malformed requests.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.common import ROOT, percentile

# Who acts on what: each user thread takes only the tasks of these positions, so no two threads
# ever race for one task (tim.sakip2 is an ASN here; tim.sakip1 does the Tim SAKIP's steps).
USERS = {
    "camat": ["camat"],
    "sekcam": ["sekcam"],
    "tim.sakip1": ["tim_sakip", "asn"],
    "tim.sakip2": ["asn"],
    "kasubag": ["asn"],
    "kasi.pemerintahan": ["asn"],
    "kasi.trantib": ["asn"],
    "kasi.pembangunan": ["asn"],
    "kasi.kemasyarakatan": ["asn"],
    "kasi.pelayanan": ["asn"],
}


def _stack() -> Any:
    sys.path.insert(0, str(ROOT))
    from deploy.stack import running_stack

    return running_stack


def _start_cycles(url: str, token: str, count: int) -> None:
    base = urlsplit(url)
    for n in range(count):
        body = json.dumps(
            {"sop_key": "pengukuran-data-kinerja", "unit": "kutorejo", "period": f"{2030 + n // 4}-TW{n % 4 + 1}"}
        )
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
        conn.request("POST", "/api/v1/instances", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 201:
            raise RuntimeError(f"starting cycle {n}: HTTP {response.status}")


def _phase(url: str, users: dict[str, list[Any]], mode: str, seconds: float, malformed: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        cfg, out = Path(tmp) / "cfg.json", Path(tmp) / "out.json"
        cfg.write_text(json.dumps({"url": url, "seconds": seconds, "mode": mode, "users": users,
                                   "malformed": malformed}))  # fmt: skip
        subprocess.run([sys.executable, "-m", "bench.loadgen", str(cfg), str(out)], cwd=ROOT, check=True,
                       timeout=seconds + 120)  # fmt: skip
        raw = json.loads(out.read_text())
    items = raw["items"]
    elapsed = raw["elapsed"]
    well = [i for i in items if i[0] != "malformed"]
    bad = [i for i in items if i[0] == "malformed"]
    ms = [i[1] * 1000 for i in well]
    result: dict[str, Any] = {
        "seconds": round(elapsed, 1),
        "requests": len(items),
        "throughput_rps": round(len(well) / elapsed, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "errors": sum(1 for i in well if not 200 <= i[2] < 300),
        "error_statuses": sorted({i[2] for i in well if not 200 <= i[2] < 300}),
    }
    for kind in ("inbox", "complete"):
        of_kind = [i for i in well if i[0] == kind]
        if of_kind:
            result[kind] = {"count": len(of_kind), "p95_ms": round(percentile([i[1] * 1000 for i in of_kind], 95), 1)}
    if bad:
        result["malformed"] = {
            "count": len(bad),
            "got_4xx": sum(1 for i in bad if 400 <= i[2] < 500),
            "other_statuses": sorted({i[2] for i in bad if not 400 <= i[2] < 500}),
        }
    return result


def bench(seconds: float, workers: int = 4, cycles: int = 150) -> dict[str, Any]:
    running_stack = _stack()
    with running_stack(workers=workers, scheduler=True) as stack:
        tokens = {name: stack.token(name) for name in USERS}
        _start_cycles(stack.url, tokens["camat"], cycles)
        users = {name: [tokens[name], roles] for name, roles in USERS.items()}
        trivial = _phase(stack.url, users, "trivial", seconds, 0.0)
        mix = _phase(stack.url, users, "mix", seconds, 0.0)
        malformed = _phase(stack.url, users, "mix", seconds, 0.1)
        check = stack.sakip("check", check=False)
    ratio = mix["throughput_rps"] / trivial["throughput_rps"] if trivial["throughput_rps"] else 0.0
    bad = malformed.get("malformed", {})
    return {
        "workers": workers,
        "client_threads": len(USERS),
        "cycles_started": cycles,
        "trivial": trivial,
        "mix": mix,
        "mix_with_malformed": malformed,
        "ratio_to_trivial": round(ratio, 3),
        "sakip_check_exit": check.returncode,
        "met": mix["errors"] == 0
        and malformed["errors"] == 0
        and bad.get("count", 0) > 0
        and bad.get("got_4xx") == bad.get("count"),
    }

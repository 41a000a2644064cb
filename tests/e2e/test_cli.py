"""The `sakip` command line end to end, as separate processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ORG_FILE, SOP_DIR
from helpers import S4

from workflow.adapters import schema
from workflow.services.org import parse_org_file

SAKIP = str(Path(sys.executable).with_name("sakip"))
NOTE = "Capaian Seksi Pelayanan salah hitung; mohon direkap ulang."


def sakip(*args: str, db: str | None = None, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SAKIP_DATABASE_URL"}
    if db is not None:
        env["SAKIP_DATABASE_URL"] = db
    result = subprocess.run([SAKIP, *args], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == expect, (args, result.returncode, result.stdout, result.stderr)
    return result


def sakip_json(*args: str, db: str) -> Any:
    return json.loads(sakip(*args, "--json", db=db).stdout)


def _users_by_role() -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for person in parse_org_file(ORG_FILE).people:
        for a in person.assignments:
            if a.valid_to is None:
                users.setdefault(a.role if a.seksi is None else f"{a.role}.{a.seksi}", []).append(person.username)
    return users


def test_a_whole_pengukuran_cycle_runs_on_the_command_line_with_one_return(db_url: str) -> None:
    sakip("init", db=db_url)
    sakip("init", db=db_url)  # idempotent
    assert "13 people" in sakip("org", "load", str(ORG_FILE), db=db_url).stdout
    started = sakip_json("start", S4, "--unit", "kutorejo", "--period", "2024-TW1", "--as", "camat", db=db_url)
    instance_id = started["instance_id"]
    assert started["state"] == "nota_dinas"

    by_role = _users_by_role()
    states = [started["state"]]
    returned = False
    for _ in range(40):
        status = sakip_json("status", str(instance_id), db=db_url)
        if status["state"] == "selesai":
            break
        for waiting in status["waiting_on"]:
            user = waiting["assignee"] or by_role[waiting["role"]][0]
            tasks = sakip_json("tasks", "--as", user, db=db_url)
            task = next(t for t in tasks if t["id"] == waiting["task_id"])
            assert set(task) >= {"id", "instance_id", "sop_key", "step_no", "step_name", "role", "actions", "due_at"}
            assert task["sop_key"] == S4 and task["instance_id"] == instance_id
            if "return" in task["actions"] and not returned:
                act = sakip_json("act", str(task["id"]), "return", "--as", user, "--note", NOTE, db=db_url)
                returned = True
            else:
                act = sakip_json("act", str(task["id"]), task["actions"][0], "--as", user, db=db_url)
            if act["to_state"] != states[-1]:
                states.append(act["to_state"])

    assert states == [
        "nota_dinas", "rapat_arahan", "rencana_kegiatan", "metodologi", "pengukuran_asn", "evaluasi",
        "rekap", "lapor_rekap", "reviu_sekcam",
        "rekap", "lapor_rekap", "reviu_sekcam",  # the one return, back to the Tim SAKIP (002:1399)
        "lapor_camat", "arsip", "selesai",
    ]  # fmt: skip
    assert "ok:" in sakip("check", db=db_url).stdout

    history = sakip_json("history", str(instance_id), db=db_url)
    assert all(
        set(e) >= {"at", "actor", "role", "acting_for", "action", "note", "from_state", "to_state"} for e in history
    )
    assert history[0]["action"] == "start" and history[-1]["action"] == "archive"
    returns = [e for e in history if e["action"] == "return"]
    assert [(e["actor"], e["role"], e["note"]) for e in returns] == [("sekcam", "sekcam", NOTE)]
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)


def test_reassign_gives_an_asns_open_task_to_another_holder_with_its_exit_codes(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'cli.db'}"  # the command's contract; both databases: test_reassign.py
    sakip("init", db=db_url)
    sakip("org", "load", str(ORG_FILE), db=db_url)
    instance_id = sakip_json("start", S4, "--unit", "kutorejo", "--period", "2024-TW1", "--as", "camat", db=db_url)[
        "instance_id"
    ]
    by_role = _users_by_role()
    while (status := sakip_json("status", str(instance_id), db=db_url))["state"] != "pengukuran_asn":
        waiting = status["waiting_on"][0]
        user = waiting["assignee"] or by_role[waiting["role"]][0]
        task = next(t for t in sakip_json("tasks", "--as", user, db=db_url) if t["id"] == waiting["task_id"])
        sakip("act", str(task["id"]), task["actions"][0], "--as", user, db=db_url)
    task_id = next(w["task_id"] for w in status["waiting_on"] if w["assignee"] == "tim.sakip2")
    base = ("reassign", str(task_id), "--note", "Cuti besar tiga bulan")
    sakip(*base, "--to", "kasubag", "--as", "kasi.pelayanan", db=db_url, expect=3)  # not a leader
    sakip(*base, "--to", "staf", "--as", "sekcam", db=db_url, expect=5)  # does not hold asn
    sakip(*base, "--to", "nobody", "--as", "sekcam", db=db_url, expect=2)
    moved = sakip_json(*base, "--to", "kasubag", "--as", "sekcam", db=db_url)
    assert moved == {"task_id": task_id, "instance_id": instance_id, "from": "tim.sakip2", "to": "kasubag"}
    assert task_id in [t["id"] for t in sakip_json("tasks", "--as", "kasubag", db=db_url)]
    assert task_id not in [t["id"] for t in sakip_json("tasks", "--as", "tim.sakip2", db=db_url)]
    history = sakip_json("history", str(instance_id), db=db_url)
    assert history[-1]["action"] == "reassign" and "Cuti besar" in history[-1]["note"]
    assert "ok:" in sakip("check", db=db_url).stdout


def test_errors_have_their_exit_codes_and_one_line_on_stderr(db_url: str) -> None:
    sakip("org", "load", str(ORG_FILE), db=db_url)
    start = ["start", S4, "--unit", "kutorejo", "--as", "camat"]
    assert sakip(*start, "--period", "2024-Q1", db=db_url, expect=5).stderr.startswith("error: period:")
    instance_id = sakip_json(*start, "--period", "2024-TW1", db=db_url)["instance_id"]
    task_id = str(sakip_json("tasks", "--as", "camat", db=db_url)[0]["id"])

    cases = [
        (["tasks", "--as", "nobody"], 2),
        (["act", "999999", "done", "--as", "camat"], 2),
        (["history", "999999"], 2),
        (["start", "no-such-sop", "--unit", "kutorejo", "--period", "2024-TW1", "--as", "camat"], 2),
        (["start", S4, "--unit", "atlantis", "--period", "2024-TW1", "--as", "camat"], 2),
        (["act", task_id, "done", "--as", "sekcam"], 3),
        (["act", task_id, "approve", "--as", "camat"], 5),
        ([*start, "--period", "2024-TW1"], 4),
    ]
    for args, code in cases:
        result = sakip(*args, db=db_url, expect=code)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr

    sakip("act", task_id, "done", "--as", "camat", db=db_url)
    assert "already done" in sakip("act", task_id, "done", "--as", "camat", db=db_url, expect=4).stderr
    status = sakip_json("status", str(instance_id), db=db_url)
    assert status["state"] == "rapat_arahan"


def test_sop_validate_passes_on_the_shipped_files_and_lists_them() -> None:
    out = sakip("sop", "validate").stdout
    assert out.count("\nok ") + out.startswith("ok ") == 6
    listed = json.loads(sakip("sop", "list", "--json").stdout)
    assert {(s["key"], s["version"], s["steps"]) for s in listed} == {
        ("pengumpulan-data-kinerja", 1, 9),
        ("pengukuran-data-kinerja", 1, 11),
        ("pengukuran-data-kinerja", 2, 11),  # step 10 ends with the Camat's tanda tangan
        ("pengukuran-data-kinerja", 3, 11),  # steps 6-8 show what changed after a per-row return
        ("pengumpulan-data-kinerja-jetis", 1, 12),
        ("penyusunan-lkjip", 1, 8),
    }
    assert all(s["nama"] for s in listed)


def test_sop_validate_reports_file_and_line_of_each_problem(tmp_path: Path) -> None:
    text = (SOP_DIR / f"{S4}.v1.yaml").read_text(encoding="utf-8")
    broken = text.replace("waktu: 60 Menit", "waktu: 60 detik", 1).replace(
        "pelaksana: tim_sakip", "pelaksana: lurah", 1
    )
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    lines = broken.splitlines()
    waktu_line = lines.index("    waktu: 60 detik") + 1
    pelaksana_line = lines.index("    pelaksana: lurah") + 1

    result = sakip("sop", "validate", str(path), expect=1)

    errors = result.stderr.splitlines()
    assert f"{path}:{waktu_line}: steps[1].waktu: cannot read '60 detik'" in errors[0] + errors[1]
    assert any(e.startswith(f"{path}:{pelaksana_line}: steps[2].pelaksana:") for e in errors)


def test_the_default_database_is_a_sqlite_file_under_instance(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SAKIP_DATABASE_URL"}
    result = subprocess.run([SAKIP, "init"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "instance" / "sakip.db").is_file()


@pytest.mark.parametrize("bad", ["units: 3\npeople: []\n", "units: []\npeople:\n  - {username: X Y, name: a}\n"])
def test_a_bad_org_file_exits_5_and_loads_nothing(tmp_path: Path, bad: str) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    sakip("init", db=db)
    path = tmp_path / "org.yaml"
    path.write_text(bad, encoding="utf-8")
    result = sakip("org", "load", str(path), db=db, expect=5)
    assert result.stderr.startswith(f"{path}:")
    assert sakip("tasks", "--as", "camat", db=db, expect=2).stderr == "error: unknown user 'camat'\n"


def test_calendar_due_counts_working_days_around_lebaran(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    sakip("init", db=db)
    sakip("org", "load", str(ORG_FILE), db=db)
    # Nyepi (19 Mar 2026) with its cuti bersama, and Idul Fitri with its cuti bersama, fall in between.
    out = sakip("calendar", "due", "--unit", "kutorejo", "--from", "2026-03-17T10:00", "--waktu", "5 hari", db=db)
    assert out.stdout.strip() == "2026-03-31T10:00:00+07:00"
    assert sakip("calendar", "due", "--unit", "kutorejo", "--from", "2026-03-17T10:00", "--waktu", "3 bulan",
                 db=db, expect=5).stderr.startswith("error: waktu:")  # fmt: skip


def test_calendar_holidays_lists_cuti_bersama_as_date_and_name() -> None:
    days = json.loads(sakip("calendar", "holidays", "2026", "--json").stdout)
    assert {"date": "2026-03-19", "name": "Hari Suci Nyepi"} in days
    assert any(d["date"] == "2026-12-24" and "Cuti Bersama" in d["name"] for d in days)
    assert [d["date"] for d in days] == sorted(d["date"] for d in days)


def test_reminders_run_once_opens_the_cycle_and_outbox_lists_messages(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    sakip("init", db=db)
    sakip("org", "load", str(ORG_FILE), db=db)
    sakip("schedule", "load", str(ORG_FILE.parent / "schedule-mojokerto.yaml"), db=db)
    assert "started 1 instances" in sakip("reminders", "run-once", "--now", "2026-04-01T08:00+07:00", db=db).stdout
    [task] = sakip_json("tasks", "--as", "camat", db=db)
    assert (task["period"], task["step_id"], task["due_at"]) == ("2026-TW1", "nota_dinas", "2026-04-01T01:05:00Z")
    sakip("reminders", "run-once", "--now", "2026-04-02T08:00+07:00", db=db)  # the nota dinas is overdue
    outbox = sakip_json("outbox", db=db)
    digest = [m for m in outbox if m["topic"] == "email"]
    assert [(m["to"], m["status"]) for m in digest] == [("camat@kutorejo.example", "pending")]  # no SMTP configured
    assert {"id", "created_at", "topic", "status", "attempts", "last_error"} <= set(digest[0])
    assert sakip("reminders", "run-once", "--now", "2026-04-02T08:00", db=db, expect=5).stderr.startswith("error: now:")


def test_serve_answers_on_loopback_with_the_scheduler_in_process(tmp_path: Path) -> None:
    import urllib.request

    from conftest import free_port

    db = f"sqlite:///{tmp_path / 'x.db'}"
    sakip("init", db=db)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SAKIP_DATABASE_URL"} | {"SAKIP_DATABASE_URL": db}
    server = subprocess.Popen(
        [SAKIP, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen: list[str] = []
    try:
        assert server.stdout is not None
        for line in server.stdout:  # waitress logs "Serving on ..." once it listens
            seen.append(line)
            if "Serving on" in line:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            body = json.loads(response.read())
        assert body == {"status": "ok", "revision": schema.head_revision()}
    finally:
        server.terminate()
        seen.append(server.communicate(timeout=20)[0])
    assert "scheduler on" in "".join(seen)
    assert (tmp_path / "x.db.scheduler.lock").exists()  # the in-process scheduler took the leader lock


def test_capaian_prints_a_two_place_decimal_and_the_category() -> None:
    # F7: Kutorejo IKM 2024, target 90,36, realisasi 93,66, capaian 103,65% (002:540).
    out = json.loads(sakip("capaian", "--target", "90,36", "--realisasi", "93,66", "--scale", "ikm", "--json").stdout)
    assert out == {"capaian": "103.65", "category": "A (Sangat Baik)"}
    capped = ["capaian", "--target", "90.36", "--realisasi", "93.66", "--policy", "jember", "--json"]
    assert json.loads(sakip(*capped).stdout) == {"capaian": "100.00", "category": None}
    grades = json.loads(sakip("capaian", "--target", "B", "--realisasi", "B", "--json").stdout)  # F12, 003:437
    assert grades["capaian"] == "100.00"
    refused = sakip("capaian", "--target", "1.234", "--realisasi", "5", "--json", expect=5)
    assert refused.stderr.startswith("error: target: '1.234' dapat dibaca dua cara")


def test_a_bad_setting_a_command_does_not_use_does_not_stop_it(tmp_path: Path) -> None:
    """A malformed mail or upload setting stops what uses it, not `sakip init`, `tasks` or `sop validate`."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    env = {k: v for k, v in os.environ.items() if k != "SAKIP_DATABASE_URL"}
    env |= {"SAKIP_DATABASE_URL": db, "SAKIP_SMTP_HOST": "mail.example", "SAKIP_SMTP_TLS": "bogus",
            "SAKIP_UPLOAD_MAX_MB": "abc", "SAKIP_SCHEDULER_INTERVAL": "soon"}  # fmt: skip
    for args in (["init"], ["sop", "validate"], ["tasks", "--as", "nobody"]):
        result = subprocess.run([SAKIP, *args], capture_output=True, text=True, env=env, timeout=60)
        expected = 2 if args[0] == "tasks" else 0  # an unknown user, as without the bad settings
        assert result.returncode == expected, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    # The scheduler does use mail: it refuses the bad mode with the setting's message and exit 5.
    result = subprocess.run([SAKIP, "scheduler"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 5, (result.stdout, result.stderr)
    assert result.stderr == "error: invalid input: SAKIP_SMTP_TLS must be none, starttls or ssl\n"

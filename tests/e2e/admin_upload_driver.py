"""Upload files to the admin pages in a process of its own, so a test can cap its memory.

    python tests/e2e/admin_upload_driver.py --db URL --sop-dir DIR --password PW CASES.json

CASES.json lists `{"endpoint": "/admin/org", "file": PATH, "name": "org.yaml"}`; the driver
logs in as `admin`, posts each file and prints one JSON line per case: the status, the size of
the session cookie it was answered with, and the messages flashed for it. An exception a page
raises is printed as the status "exception", not raised.
"""

from __future__ import annotations

import argparse
import io
import json
import re
from pathlib import Path

from web import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--sop-dir", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("cases", type=Path)
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.db, "SOP_DIR": args.sop_dir, "SECRET_KEY": "test-secret", "TESTING": True})
    client = app.test_client()

    def csrf(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    login = client.post("/login", data={"username": "admin", "password": args.password, "csrf_token": csrf("/login")})
    assert login.status_code == 302, login.status_code
    token = csrf("/admin/")
    for case in json.loads(args.cases.read_text(encoding="utf-8")):
        data = Path(case["file"]).read_bytes()
        form = {"file": (io.BytesIO(data), case["name"]), "csrf_token": token, **case.get("form", {})}
        try:
            response = client.post(case["endpoint"], data=form, content_type="multipart/form-data")
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            print(json.dumps({**case, "status": "exception", "error": repr(exc)[:500]}), flush=True)
            continue
        cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("sakip_session=")]
        with client.session_transaction() as session:
            flashes = session.pop("_flashes", [])
        result = {
            **case,
            "status": response.status_code,
            "cookie_bytes": max((len(c) for c in cookies), default=0),
            "messages": [[category, message] for category, message in flashes],
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

"""Configuration from the environment, with an embedded default that needs no setup.

This is the one module that reads the `SAKIP_*` variables. `Config.from_env()` reads all of them
(with the defaults below); a setting that can be malformed is parsed where it is used and refuses a
bad value with the message the setting's own reader always gave. The adapters and the web take
their settings from a `Config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///instance/sakip.db"
# The instance folder: the secret key, uploads and the offices' Word templates live here.
INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_SOP_DIR = PROJECT_ROOT / "sop_definitions"
DEFAULT_UPLOAD_DIR = INSTANCE_DIR / "uploads"
DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_SCHEDULER_INTERVAL = 60  # seconds between two scheduler passes
MIN_SCHEDULER_INTERVAL = 5
SMTP_TLS_MODES = ("none", "starttls", "ssl")
SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_MAIL_FROM = "alur-sakip@localhost"
DEFAULT_TEMPLATE_MEMORY_MB = 512
DEFAULT_TEMPLATE_CPU_SECONDS = 20

# Every variable `Config.from_env` reads (the README's configuration table lists them).
VARIABLES = (
    "SAKIP_DATABASE_URL",
    "SAKIP_SOP_DIR",
    "SAKIP_UPLOAD_DIR",
    "SAKIP_UPLOAD_MAX_MB",
    "SAKIP_SECRET_KEY",
    "SAKIP_SECURE_COOKIES",
    "SAKIP_PROXY_FIX",
    "SAKIP_SCHEDULER_INTERVAL",
    "SAKIP_SMTP_HOST",
    "SAKIP_SMTP_PORT",
    "SAKIP_SMTP_TLS",
    "SAKIP_SMTP_USER",
    "SAKIP_SMTP_PASSWORD",
    "SAKIP_MAIL_FROM",
    "SAKIP_TEMPLATE_DIR",
    "SAKIP_TEMPLATE_MEMORY_MB",
    "SAKIP_TEMPLATE_CPU_SECONDS",
)


@dataclass(frozen=True)
class SmtpConfig:
    """Where `email` outbox messages go; absent (None in Config.smtp) while SAKIP_SMTP_HOST is unset."""

    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str


@dataclass(frozen=True)
class Config:
    """Every setting. The ones that cannot be malformed are fields; the ones that can (numbers, the
    SMTP mode) are parsed from `raw` when first used, so a command never fails on a setting it does
    not use (a bad SAKIP_SMTP_TLS stops the mail, not `sakip tasks`), with the setting's message."""

    database_url: str
    sop_dir: Path
    upload_dir: Path = DEFAULT_UPLOAD_DIR
    secret_key: str | None = None  # None: the web keeps a random key in instance/secret_key
    secure_cookies: bool = False
    template_dir: Path = INSTANCE_DIR / "templates"
    #: The SAKIP_* variables as read (name, value), for the settings parsed where they are used.
    raw: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, database_url: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
        """Read every SAKIP_* variable of ENVIRON (default: the process environment).

        An explicit DATABASE_URL wins over the environment. A bad value raises ValueError when
        the setting is used (`upload_max_bytes`, `proxy_fix`, `scheduler_interval`, `smtp`,
        `template_memory_mb`, `template_cpu_seconds`).
        """
        env = os.environ if environ is None else environ
        return cls(
            database_url=database_url or env.get("SAKIP_DATABASE_URL") or DEFAULT_DATABASE_URL,
            sop_dir=Path(env.get("SAKIP_SOP_DIR") or DEFAULT_SOP_DIR),
            upload_dir=Path(env.get("SAKIP_UPLOAD_DIR") or DEFAULT_UPLOAD_DIR),
            secret_key=env.get("SAKIP_SECRET_KEY") or None,
            secure_cookies=env.get("SAKIP_SECURE_COOKIES") == "1",
            template_dir=template_dir(env),
            raw=tuple(sorted((name, env[name]) for name in VARIABLES if name in env)),
        )

    def _get(self, name: str) -> str | None:
        return dict(self.raw).get(name)

    @property
    def upload_max_bytes(self) -> int:
        return _upload_max_bytes(self._get("SAKIP_UPLOAD_MAX_MB"))

    @property
    def proxy_fix(self) -> int:
        """Trusted reverse proxies in front of the web app."""
        return int(self._get("SAKIP_PROXY_FIX") or 0)

    @property
    def scheduler_interval(self) -> int:
        return max(MIN_SCHEDULER_INTERVAL, int(self._get("SAKIP_SCHEDULER_INTERVAL") or DEFAULT_SCHEDULER_INTERVAL))

    @property
    def smtp(self) -> SmtpConfig | None:
        return _smtp(dict(self.raw))

    @property
    def template_memory_mb(self) -> int:
        return template_limits(dict(self.raw))[0]

    @property
    def template_cpu_seconds(self) -> int:
        return template_limits(dict(self.raw))[1]


def _upload_max_bytes(megabytes: str | None) -> int:
    return int(float(megabytes) * 1024 * 1024) if megabytes else DEFAULT_UPLOAD_MAX_BYTES


def _smtp(env: Mapping[str, str]) -> SmtpConfig | None:
    host = env.get("SAKIP_SMTP_HOST")
    if not host:
        return None
    tls = env.get("SAKIP_SMTP_TLS", "none").lower()
    if tls not in SMTP_TLS_MODES:
        raise ValueError("SAKIP_SMTP_TLS must be none, starttls or ssl")
    return SmtpConfig(
        host=host,
        port=int(env.get("SAKIP_SMTP_PORT") or SMTP_DEFAULT_PORTS[tls]),
        tls=tls,
        user=env.get("SAKIP_SMTP_USER") or None,
        password=env.get("SAKIP_SMTP_PASSWORD") or None,
        sender=env.get("SAKIP_MAIL_FROM") or DEFAULT_MAIL_FROM,
    )


def template_dir(environ: Mapping[str, str] | None = None) -> Path:
    """SAKIP_TEMPLATE_DIR, a relative one taken inside the instance folder (never the working directory).

    Read when a document is rendered, so a changed folder applies to the next document."""
    env = os.environ if environ is None else environ
    configured = Path(env.get("SAKIP_TEMPLATE_DIR") or "templates")
    return configured if configured.is_absolute() else INSTANCE_DIR / configured


def template_limits(environ: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(SAKIP_TEMPLATE_MEMORY_MB, SAKIP_TEMPLATE_CPU_SECONDS): what filling one Word template may cost.

    Read when a template is filled, like the folder."""
    env = os.environ if environ is None else environ
    memory = int(env.get("SAKIP_TEMPLATE_MEMORY_MB") or DEFAULT_TEMPLATE_MEMORY_MB)
    cpu = int(env.get("SAKIP_TEMPLATE_CPU_SECONDS") or DEFAULT_TEMPLATE_CPU_SECONDS)
    return memory, cpu

"""`workflow.config` reads every SAKIP_* variable, with its default and its validation, and the
bootstrap builds one registry that every service of a runtime shares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workflow import config as config_module
from workflow.adapters.evidence import UploadSettings
from workflow.adapters.isolation import Limits
from workflow.adapters.mailer import SmtpSettings
from workflow.bootstrap import build
from workflow.config import INSTANCE_DIR, PROJECT_ROOT, VARIABLES, Config, SmtpConfig

ROOT = Path(__file__).resolve().parents[2]
# Read by the test suite (tests/conftest.py), not by the application.
TEST_ONLY = {"SAKIP_REQUIRE_ALL"}

# A value for every variable that differs from its default.
SET = {
    "SAKIP_DATABASE_URL": "postgresql+psycopg://sakip@db/sakip",
    "SAKIP_SOP_DIR": "/srv/sop",
    "SAKIP_UPLOAD_DIR": "/srv/uploads",
    "SAKIP_UPLOAD_MAX_MB": "2.5",
    "SAKIP_SECRET_KEY": "k3y",
    "SAKIP_SECURE_COOKIES": "1",
    "SAKIP_PROXY_FIX": "2",
    "SAKIP_SCHEDULER_INTERVAL": "30",
    "SAKIP_SMTP_HOST": "mail.example",
    "SAKIP_SMTP_PORT": "2525",
    "SAKIP_SMTP_TLS": "STARTTLS",
    "SAKIP_SMTP_USER": "sakip",
    "SAKIP_SMTP_PASSWORD": "rahasia",
    "SAKIP_MAIL_FROM": "sakip@kab.example",
    "SAKIP_TEMPLATE_DIR": "kantor",
    "SAKIP_TEMPLATE_MEMORY_MB": "256",
    "SAKIP_TEMPLATE_CPU_SECONDS": "4",
}


SETTINGS = ("database_url", "sop_dir", "upload_dir", "upload_max_bytes", "secret_key", "secure_cookies", "proxy_fix",
            "scheduler_interval", "smtp", "template_dir", "template_memory_mb", "template_cpu_seconds")  # fmt: skip


def _settings(config: Config) -> dict[str, object]:
    return {name: getattr(config, name) for name in SETTINGS}


def test_the_defaults_need_no_setup() -> None:
    assert _settings(Config.from_env(environ={})) == {
        "database_url": "sqlite:///instance/sakip.db",
        "sop_dir": PROJECT_ROOT / "sop_definitions",
        "upload_dir": INSTANCE_DIR / "uploads",
        "upload_max_bytes": 10 * 1024 * 1024,
        "secret_key": None,
        "secure_cookies": False,
        "proxy_fix": 0,
        "scheduler_interval": 60,
        "smtp": None,
        "template_dir": INSTANCE_DIR / "templates",
        "template_memory_mb": 512,
        "template_cpu_seconds": 20,
    }


def test_every_variable_is_read_into_its_setting() -> None:
    assert set(SET) == set(VARIABLES)
    assert _settings(Config.from_env(environ=SET)) == {
        "database_url": "postgresql+psycopg://sakip@db/sakip",
        "sop_dir": Path("/srv/sop"),
        "upload_dir": Path("/srv/uploads"),
        "upload_max_bytes": int(2.5 * 1024 * 1024),
        "secret_key": "k3y",
        "secure_cookies": True,
        "proxy_fix": 2,
        "scheduler_interval": 30,
        "smtp": SmtpConfig("mail.example", 2525, "starttls", "sakip", "rahasia", "sakip@kab.example"),
        "template_dir": INSTANCE_DIR / "kantor",
        "template_memory_mb": 256,
        "template_cpu_seconds": 4,
    }
    default = _settings(Config.from_env(environ={}))
    for name in VARIABLES:  # each variable on its own changes the configuration
        if name.startswith("SAKIP_SMTP_") and name != "SAKIP_SMTP_HOST" or name == "SAKIP_MAIL_FROM":
            alone = {"SAKIP_SMTP_HOST": "mail.example", name: SET[name]}
            with_host = Config.from_env(environ={"SAKIP_SMTP_HOST": "mail.example"})
            assert _settings(Config.from_env(environ=alone)) != _settings(with_host), name
        else:
            assert _settings(Config.from_env(environ={name: SET[name]})) != default, name


def test_an_explicit_database_url_wins_over_the_environment() -> None:
    assert Config.from_env("sqlite:///x.db", environ=SET).database_url == "sqlite:///x.db"


def test_every_variable_the_code_and_the_documentation_name_is_read_here() -> None:
    named: set[str] = set()
    for path in [*ROOT.glob("workflow/**/*.py"), *ROOT.glob("web/**/*.py"), ROOT / "README.md",
                 *ROOT.glob("docs/*.md")]:  # fmt: skip
        named |= set(re.findall(r"\bSAKIP_[A-Z][A-Z_]*[A-Z]\b", path.read_text(encoding="utf-8")))
    assert named - TEST_ONLY <= set(VARIABLES)


def test_smtp_port_follows_the_tls_mode_and_a_missing_host_means_no_mail() -> None:
    ports = {tls: Config.from_env(environ={"SAKIP_SMTP_HOST": "h", "SAKIP_SMTP_TLS": tls}).smtp for tls in
             ("none", "starttls", "ssl")}  # fmt: skip
    assert {tls: s.port for tls, s in ports.items() if s} == {"none": 25, "starttls": 587, "ssl": 465}
    assert Config.from_env(environ={"SAKIP_SMTP_TLS": "ssl", "SAKIP_SMTP_PORT": "1"}).smtp is None
    assert Config.from_env(environ={"SAKIP_SMTP_HOST": "h"}).smtp == SmtpConfig(
        "h", 25, "none", None, None, "alur-sakip@localhost"
    )


def test_the_scheduler_interval_is_at_least_five_seconds() -> None:
    assert Config.from_env(environ={"SAKIP_SCHEDULER_INTERVAL": "1"}).scheduler_interval == 5


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SAKIP_SMTP_TLS", "tls", r"^SAKIP_SMTP_TLS must be none, starttls or ssl$"),
        ("SAKIP_SMTP_PORT", "smtp", r"^invalid literal for int\(\) with base 10: 'smtp'$"),
        ("SAKIP_SCHEDULER_INTERVAL", "1m", r"^invalid literal for int\(\) with base 10: '1m'$"),
        ("SAKIP_PROXY_FIX", "yes", r"^invalid literal for int\(\) with base 10: 'yes'$"),
        ("SAKIP_UPLOAD_MAX_MB", "10MB", r"^could not convert string to float: '10MB'$"),
        ("SAKIP_TEMPLATE_MEMORY_MB", "lots", r"^invalid literal for int\(\) with base 10: 'lots'$"),
        ("SAKIP_TEMPLATE_CPU_SECONDS", "2.5", r"^invalid literal for int\(\) with base 10: '2.5'$"),
    ],
)
def test_a_bad_value_is_refused_with_the_settings_message_where_it_is_used(name: str, value: str, message: str) -> None:
    config = Config.from_env(environ={"SAKIP_SMTP_HOST": "mail.example", name: value})
    # Reading the configuration, the database and the SOP folder does not fail on it ...
    assert config.database_url == "sqlite:///instance/sakip.db" and config.sop_dir == PROJECT_ROOT / "sop_definitions"
    # ... using the setting does, with the setting's message.
    setting = {
        "SAKIP_SMTP_TLS": "smtp", "SAKIP_SMTP_PORT": "smtp", "SAKIP_SCHEDULER_INTERVAL": "scheduler_interval",
        "SAKIP_PROXY_FIX": "proxy_fix", "SAKIP_UPLOAD_MAX_MB": "upload_max_bytes",
        "SAKIP_TEMPLATE_MEMORY_MB": "template_memory_mb", "SAKIP_TEMPLATE_CPU_SECONDS": "template_cpu_seconds",
    }[name]  # fmt: skip
    with pytest.raises(ValueError, match=message):
        getattr(config, setting)


def test_the_adapters_settings_come_from_the_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in SET.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAKIP_UPLOAD_DIR", str(tmp_path))
    assert UploadSettings.from_env() == UploadSettings(tmp_path, int(2.5 * 1024 * 1024))
    assert SmtpSettings.from_env() == SmtpSettings("mail.example", 2525, "starttls", "sakip", "rahasia",
                                                   "sakip@kab.example")  # fmt: skip
    assert Limits.from_env() == Limits(256, 4, 6.0)
    assert config_module.template_dir() == INSTANCE_DIR / "kantor"
    monkeypatch.delenv("SAKIP_SMTP_HOST")
    assert SmtpSettings.from_env() is None


def test_one_runtime_shares_one_registry_and_database_among_its_services(tmp_path: Path) -> None:
    config = Config.from_env(f"sqlite:///{tmp_path / 'r.db'}", environ={"SAKIP_UPLOAD_DIR": str(tmp_path)})
    runtime = build(config)
    try:
        workflow, performance, scheduler = runtime.workflow, runtime.performance, runtime.scheduler()
        assert workflow.registry is runtime.registry is performance.registry
        assert scheduler.engine.service is workflow
        assert workflow.db is runtime.db is performance.db
        assert performance.uploads == UploadSettings(tmp_path)
        at = runtime.at(lambda: None)  # type: ignore[arg-type, return-value]
        assert at.workflow is not workflow and at.workflow.registry is runtime.registry
    finally:
        runtime.db.dispose()

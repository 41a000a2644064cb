"""Configuration from the environment, with an embedded default that needs no setup."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///instance/sakip.db"
# The instance folder: the secret key, uploads and the offices' Word templates live here.
INSTANCE_DIR = PROJECT_ROOT / "instance"


@dataclass(frozen=True)
class Config:
    database_url: str
    sop_dir: Path

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Config:
        """Read SAKIP_DATABASE_URL and SAKIP_SOP_DIR; an explicit URL wins over the environment."""
        url = database_url or os.environ.get("SAKIP_DATABASE_URL") or DEFAULT_DATABASE_URL
        sop_dir = Path(os.environ.get("SAKIP_SOP_DIR") or PROJECT_ROOT / "sop_definitions")
        return cls(database_url=url, sop_dir=sop_dir)

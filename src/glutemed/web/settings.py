"""The web app's settings, read from the environment (``GLUTEMED_*``) or given to ``create_app`` directly.

Nothing here is read at import time: :func:`glutemed.web.app.create_app` takes a :class:`WebSettings`, and
``WebSettings()`` reads the environment when it is built.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GB = 1024**3


def default_data_dir() -> Path:
    """The user's data folder (``GLUTEMED_DATA_DIR`` or platformdirs), as the database layer finds it."""
    from glutemed.db.engine import data_dir

    return data_dir()


class WebSettings(BaseSettings):
    """Every option of ``glutemed serve``; ``GLUTEMED_DATABASE_URL`` and friends set them from outside."""

    model_config = SettingsConfigDict(env_prefix="GLUTEMED_", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL; empty: SQLite in the data folder")
    data_dir: Path = Field(default_factory=default_data_dir)
    max_upload_bytes: int = Field(default=2 * GB, gt=0, description="largest upload accepted, in bytes")
    secret_key: str = Field(
        default="", description="signs session cookies; empty: a random key kept in the data folder"
    )
    secure_cookies: bool = Field(default=False, description="mark cookies Secure (serve behind HTTPS)")
    session_max_age_s: int = Field(default=12 * 3600, gt=0)
    login_max_failures: int = Field(default=5, ge=1, description="failed sign-ins before a pause")
    login_window_s: int = Field(default=15 * 60, gt=0, description="how far back failures count")
    invitation_valid_s: int = Field(default=7 * 24 * 3600, gt=0)
    upload_chunk_bytes: int = Field(default=1024 * 1024, gt=0)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    def effective_database_url(self) -> str:
        """The URL the database layer resolves: the setting, or SQLite in the data folder."""
        from glutemed.db.engine import database_url

        return database_url(self.database_url or None, data_folder=self.data_dir).render_as_string(
            hide_password=False
        )

    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def effective_secret_key(self) -> str:
        """The configured key, or one made once and kept (mode 0600) in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(key, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)
        return key

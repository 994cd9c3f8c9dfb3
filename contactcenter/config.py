"""Settings: environment variables, then an optional TOML file, then safe defaults.

Secrets (the AMI password, the panel's secret key) are read from the environment or the
file and never logged: `Settings.redacted()` is what may be printed.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DB = "sqlite:///contactcenter.db"


@dataclass(frozen=True)
class AmiTarget:
    """Where the listener logs in: parsed from `ami://user:secret@host:port`."""

    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "contactcenter"
    secret: str = ""

    @classmethod
    def parse(cls, url: str) -> "AmiTarget":
        parts = urlsplit(url)
        if parts.scheme != "ami":
            raise ValueError(f"AMI URL must look like ami://user:secret@host:port, got scheme {parts.scheme!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5038,
            username=unquote(parts.username or "contactcenter"),
            secret=unquote(parts.password or ""),
        )

    def __repr__(self) -> str:  # never show the secret
        return f"AmiTarget({self.username}@{self.host}:{self.port})"


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB
    ami_url: str = "ami://contactcenter:contactcenter@127.0.0.1:5038"
    site_timezone: str = "Asia/Shanghai"
    hotline_number: str = "12345"
    # the hotline's own area code: 7-8 digit local numbers are completed with it
    area_code: str = "0635"
    # what is put in front of a canonical number when the trunk dials it
    dial_prefix: str = ""
    queue: str = "hotline"
    seats: int = 60
    short_abandon_s: float = 5.0
    service_level_s: float = 20.0
    panel_secret_key: str = ""
    sms_token: str = ""
    api_token: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ami(self) -> AmiTarget:
        return AmiTarget.parse(self.ami_url)

    def redacted(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in {"panel_secret_key", "sms_token", "api_token"} and value:
                value = "***"
            if f.name == "ami_url":
                value = repr(self.ami)
            if f.name == "db_url":
                value = _redact_url(value)
            out[f.name] = value
        return out


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


_ENV = {
    "CONTACTCENTER_DB": "db_url",
    "CONTACTCENTER_AMI_URL": "ami_url",
    "CONTACTCENTER_TZ": "site_timezone",
    "CONTACTCENTER_HOTLINE_NUMBER": "hotline_number",
    "CONTACTCENTER_AREA_CODE": "area_code",
    "CONTACTCENTER_DIAL_PREFIX": "dial_prefix",
    "CONTACTCENTER_QUEUE": "queue",
    "CONTACTCENTER_SEATS": "seats",
    "CONTACTCENTER_SHORT_ABANDON_S": "short_abandon_s",
    "CONTACTCENTER_SECRET_KEY": "panel_secret_key",
    "CONTACTCENTER_SMS_TOKEN": "sms_token",
    "CONTACTCENTER_API_TOKEN": "api_token",
}


# in the TOML file, each variable's name without the prefix, in lower case, works too
# (`db`, `tz`, `secret_key`, ...), besides the setting's own name (`db_url`, `site_timezone`)
_TOML_ALIASES = {var.removeprefix("CONTACTCENTER_").lower(): name for var, name in _ENV.items()}


def load_settings(env: dict | None = None, config_file: str | None = None, **overrides) -> Settings:
    """Build the settings: TOML file (CONTACTCENTER_CONFIG or `config_file`), then the
    environment, then explicit overrides (command-line flags)."""
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or env.get("CONTACTCENTER_CONFIG")
    if path:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        known = {f.name for f in fields(Settings)}
        extra = {}
        for key, value in data.items():
            name = key if key in known else _TOML_ALIASES.get(key)
            if name is None:
                extra[key] = value  # sections such as [redial], and panel options
            else:
                values[name] = value
        if extra:
            values["extra"] = extra
    for var, name in _ENV.items():
        if env.get(var):
            values[name] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    # coerce numbers given as strings in the environment
    return replace(settings, seats=int(settings.seats), short_abandon_s=float(settings.short_abandon_s))


def default_db_path() -> Path:
    return Path.cwd() / "contactcenter.db"

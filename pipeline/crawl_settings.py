"""``[crawl]`` settings: apart from ``pipeline.fetch`` so that reading the configuration (every command does) does
not import the HTTP stack (httpx, anyio, protego), which only the crawl and rehydrate need."""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import __version__

DEFAULT_USER_AGENT = (
    f"survnews/{__version__} (research crawler for a news dataset; +mailto:survnews-crawler@example.org)"
)


class CrawlSettings(BaseModel):
    """``[crawl]`` in survnews.toml: politeness, limits and filters of ``survnews crawl``."""

    # inf and nan pass "gt=0" but overflow timers and sleeps: every number must be finite
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    user_agent: str = Field(default=DEFAULT_USER_AGENT, description="sent with every request; must hold a contact")
    robots_agent: str = Field(default="survnews", description="product token matched against robots.txt groups")
    per_host_delay_s: float = Field(
        default=3.0, ge=0, le=86_400, description="minimum gap between requests to one host"
    )
    per_host_concurrency: int = Field(default=1, ge=1, le=1_000)
    global_concurrency: int = Field(default=8, ge=1, le=1_000)
    max_crawl_delay_s: float = Field(
        default=60.0, ge=0, le=86_400, description="hosts asking a longer Crawl-delay are skipped"
    )
    connect_timeout_s: float = Field(default=10.0, gt=0, le=86_400)
    read_timeout_s: float = Field(default=20.0, gt=0, le=86_400, description="longest silence while waiting for data")
    max_fetch_s: float = Field(
        default=60.0, gt=0, le=86_400, description="whole response, so a slow drip cannot hang a worker"
    )
    max_bytes: int = Field(default=10_000_000, gt=0, le=2_000_000_000, description="body limit, raw and decompressed")
    max_redirects: int = Field(default=5, ge=0, le=50)
    retries: int = Field(
        default=3, ge=0, le=86_400, description="extra attempts after a 429/5xx/timeout/connection error"
    )
    backoff_base_s: float = Field(default=2.0, ge=0, le=86_400, description="first retry waits this, then doubling")
    backoff_max_s: float = Field(default=300.0, ge=0, le=86_400)
    max_retry_after_s: float = Field(
        default=600.0, ge=0, le=86_400, description="a longer Retry-After rejects the page"
    )
    robots_ttl_s: float = Field(
        default=86_400.0, ge=0, le=31_536_000, description="how long a fetched robots.txt is reused"
    )
    allow_private: bool = Field(default=False, description="allow private, loopback and link-local addresses")
    allowed_private_networks: list[str] = Field(default_factory=list, description="CIDRs exempt from that block")
    allowed_domains: list[str] = Field(default_factory=list, description="empty: any; else these and subdomains")
    since: date | None = Field(default=None, description="skip articles published before this date")
    until: date | None = Field(default=None, description="skip articles published after this date")
    keywords: list[str] = Field(default_factory=list, description="keep only pages mentioning one (any case)")
    warc: bool = Field(default=True, description="keep every raw response as WARC")
    warc_dir: Path | None = Field(default=None, description="default: <store folder>/warc")
    warc_max_file_bytes: int = Field(default=1_000_000_000, gt=0, description="start a new WARC file past this")
    sources_file: Path | None = Field(default=None, description="a TOML file with more [[sources]]")

    @field_validator("user_agent")
    @classmethod
    def _user_agent_has_contact(cls, value: str) -> str:
        if not value.strip() or not any(mark in value for mark in ("http://", "https://", "@")):
            raise ValueError("must name a contact (a URL or an e-mail address) so site operators can reach you")
        return value.strip()

    @field_validator("allowed_private_networks")
    @classmethod
    def _networks_parse(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_network(item, strict=False)  # raises ValueError with a clear message
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _domains_lower(cls, value: list[str]) -> list[str]:
        return [d.strip().lower().lstrip(".") for d in value if d.strip()]

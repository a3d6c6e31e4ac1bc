"""Settings for the Label Studio round trip (the ``[annotate]`` section of ``survnews.toml``).

The connection comes from ``LABEL_STUDIO_URL`` / ``LABEL_STUDIO_API_KEY`` when set, else from the config file;
the key is a ``SecretStr`` so it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pipeline.annotate.offsets import OffsetUnit
from pipeline.errors import ConfigError, first_validation_error
from pipeline.paths import SCHEMAS_DIR

URL_ENV = "LABEL_STUDIO_URL"
API_KEY_ENV = "LABEL_STUDIO_API_KEY"


class LabelStudioSettings(BaseModel):
    """``[annotate]`` settings; every field has a default, so the section may be left out."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # inf/nan timeouts overflow

    url: str = "http://127.0.0.1:8080"
    api_key: SecretStr | None = None
    project_title: str = "survnews"
    label_config: Path = SCHEMAS_DIR / "labelstudio.xml"
    instructions: Path = SCHEMAS_DIR / "annotator_instructions.md"
    timeout_s: float = Field(default=60.0, gt=0, description="per HTTP request")
    batch_size: int = Field(default=50, gt=0, description="tasks per import request")
    # overlap for agreement: this share of tasks is given to this many annotators (Label Studio's own settings)
    annotations_per_task: int = Field(default=2, ge=1)
    overlap_percent: int = Field(default=20, ge=0, le=100)
    # how the Label Studio frontend counts span offsets: code points for 1.23 (see pipeline/annotate/offsets.py)
    offset_unit: OffsetUnit = "codepoint"
    # when an article with several annotators is gold: all agree ("unanimous"), or most ("majority": only ties
    # are disputed); disputed articles wait for a reviewer in the review project
    agreement_policy: Literal["unanimous", "majority"] = "unanimous"
    review_suffix: str = Field(default=" · review", min_length=1, description="review project = title + this")

    @property
    def review_title(self) -> str:
        return self.project_title + self.review_suffix

    def with_env(self) -> LabelStudioSettings:
        """A copy with the connection taken from the environment where set (env wins over the file)."""
        update: dict[str, Any] = {}
        if os.environ.get(URL_ENV):
            update["url"] = os.environ[URL_ENV]
        if os.environ.get(API_KEY_ENV):
            update["api_key"] = SecretStr(os.environ[API_KEY_ENV])
        return self.model_copy(update=update)

    def token(self) -> str:
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ConfigError(f"no Label Studio API key: set {API_KEY_ENV} (or api_key in [annotate])")
        return self.api_key.get_secret_value()


def annotate_settings(section: Any = None) -> LabelStudioSettings:
    """Validate the ``[annotate]`` section (a pydantic model, a dict or None), then apply the environment."""
    if section is None:
        data: dict[str, Any] = {}
    elif isinstance(section, BaseModel):
        data = section.model_dump(exclude_unset=True)
        data.update(section.model_extra or {})
    else:
        data = dict(section)
    try:
        settings = LabelStudioSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"[annotate] {first_validation_error(exc)}") from exc
    return settings.with_env()

"""``survnews annotate cycle``: the model in the loop, one turn.

pull the annotators' (and reviewers') work → ``train domain`` on the training part of the gold, into a candidate
folder → score the shipped model and the candidate on the held-out gold → when the candidate is at least as good
(overall exact span F1), it replaces the shipped model, and its predictions are pushed as a new model version
(on the tasks already out, and on ``push_count`` new tasks picked by its own uncertainty). When the held-out
score drops, or there is no held-out gold to measure on, the shipped model stays and nothing is pushed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.annotate._client import LabelStudioClient
from pipeline.annotate.config import LabelStudioSettings
from pipeline.annotate.domain import DEFAULT_WORK_DIR, DOMAIN_MODEL_DIR, DomainResult, train_domain
from pipeline.annotate.pull import PullReport, pull
from pipeline.annotate.push import PushReport, push
from pipeline.store import Store


@dataclass
class CycleResult:
    pulled: PullReport
    trained: DomainResult
    base: str
    shipped: Path
    before_f1: float | None
    after_f1: float | None
    replaced: bool
    reason: str
    pushed: PushReport | None = None
    model_version: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pulled": self.pulled.to_dict(),
            "trained": self.trained.to_dict(),
            "base": self.base,
            "shipped": str(self.shipped),
            "before_f1": self.before_f1,
            "after_f1": self.after_f1,
            "replaced": self.replaced,
            "reason": self.reason,
            "pushed": self.pushed.to_dict() if self.pushed else None,
            "model_version": self.model_version,
        }


def _overall(scores: dict[str, Any]) -> float | None:
    try:
        return float(scores["exact"]["ALL"]["f1"])
    except (KeyError, TypeError):
        return None


def install(candidate: Path, shipped: Path) -> None:
    """Replace ``shipped`` by ``candidate`` with a rename, so a reader never sees half a model."""
    staging = shipped.with_name(shipped.name + ".new")
    previous = shipped.with_name(shipped.name + ".previous")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(candidate, staging)
    if previous.exists():
        shutil.rmtree(previous)
    if shipped.exists():
        shipped.rename(previous)
    staging.rename(shipped)


def cycle(
    store: Store,
    client: LabelStudioClient,
    settings: LabelStudioSettings,
    *,
    base: str,
    shipped: Path = DOMAIN_MODEL_DIR,
    base_data: Path | None = None,
    rehearsal: float = 3.0,
    test_fraction: float = 0.2,
    max_steps: int = 600,
    seed: int = 0,
    work_dir: Path = DEFAULT_WORK_DIR,
    push_count: int = 0,
    threshold: float = 0.5,
) -> CycleResult:
    """One turn of the loop (see the module docstring). ``base`` is the model to start from and to beat when
    nothing has been shipped yet; once ``shipped`` exists, it is both."""
    from pipeline.annotate.confidence import Scorer
    from pipeline.tag import load_tagger, pipeline_identity

    pulled = pull(store, client, settings)
    current = str(shipped) if (shipped / "config.cfg").is_file() else base
    candidate = work_dir / "candidate"
    trained = train_domain(
        store,
        base=current,
        output=candidate,
        base_data=base_data,
        rehearsal=rehearsal,
        test_fraction=test_fraction,
        max_steps=max_steps,
        seed=seed,
        work_dir=work_dir / "train",
    )
    before, after = _overall(trained.before), _overall(trained.after)
    result = CycleResult(pulled, trained, current, shipped, before, after, replaced=False, reason="")
    if before is None or after is None:
        result.reason = "no held-out gold to measure on: the shipped model is kept (annotate more)"
        return result
    if after < before:
        result.reason = f"held-out F1 dropped ({before:.3f} → {after:.3f}): the shipped model is kept"
        return result
    install(candidate, shipped)
    result.replaced = True
    result.reason = f"held-out F1 {before:.3f} → {after:.3f}: {shipped} replaced"
    tagger = load_tagger(str(shipped))
    name, version = pipeline_identity(tagger)
    result.model_version = f"{name}@{version}"
    result.pushed = push(
        store,
        client,
        settings,
        count=push_count,
        strategy="uncertain",
        threshold=threshold,
        model_version=result.model_version,
        tagger=tagger,
        scorer=Scorer(tagger, threshold=threshold),
    )
    return result

"""The base every settings section shares: unknown keys are an error, not a silent typo."""

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A settings section: rejects unknown keys and is immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

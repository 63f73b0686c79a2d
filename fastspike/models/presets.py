"""Named parameter sets ("presets") of a model, as published (Izhikevich's cell classes,
Naud et al.'s AdEx firing patterns).

A model with presets accepts ``preset="NAME"`` in its constructor, and ``Model.preset(NAME,
**overrides)`` does the same: the preset's values are used for every parameter the call does
not give, the model's defaults for the others.
"""
from __future__ import annotations

import re
from typing import Mapping

__all__ = ["PresetMixin"]


def _key(name: str) -> str:
    """Preset names compare case-insensitively, with spaces, hyphens and underscores alike."""
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


class PresetMixin:
    """Adds ``preset=`` to a model's constructor and the ``preset()`` constructor.

    Subclasses define ``presets``: a mapping from name to a dict of parameter values.
    """

    presets: Mapping[str, Mapping[str, float]] = {}

    def __init__(self, preset: str | None = None, **kwargs: object) -> None:
        self.preset_name = None
        if preset is not None:
            name, values = self._lookup(preset)
            kwargs = {**values, **kwargs}
            self.preset_name = name
        super().__init__(**kwargs)

    @classmethod
    def _lookup(cls, preset: object) -> tuple[str, Mapping[str, float]]:
        if isinstance(preset, str):
            wanted = _key(preset)
            for name, values in cls.presets.items():
                if _key(name) == wanted:
                    return name, values
        raise ValueError(f"{cls.__name__}: unknown preset {preset!r}; known presets: "
                         f"{', '.join(map(repr, cls.presets))}")

    @classmethod
    def preset(cls, name: str, **overrides: object):
        """The model with the parameters of preset ``name`` (``overrides`` take precedence)."""
        return cls(preset=name, **overrides)

    @classmethod
    def preset_parameters(cls, name: str) -> dict[str, float]:
        """The parameter values of preset ``name`` (a copy)."""
        return dict(cls._lookup(name)[1])

    def describe(self) -> dict[str, object]:
        d = super().describe()
        if self.preset_name is not None:
            d["preset"] = self.preset_name
        return d

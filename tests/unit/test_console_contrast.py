"""The console stays readable: WCAG 2.x contrast of its text colours on their backgrounds.

The colours are read from api/console/console.css, so a change there that makes text
hard to read on a video wall fails here.
"""

import re

import pytest

from api.console import CONSOLE_DIR

CSS = (CONSOLE_DIR / "console.css").read_text()
VARS = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.x)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


PAIRS = [
    ("body text", VARS["text"], VARS["bg"]),
    ("panel text", VARS["text"], VARS["panel"]),
    ("muted text", VARS["muted"], VARS["bg"]),
    ("muted text on a panel", VARS["muted"], VARS["panel"]),
    ("links", VARS["accent"], VARS["bg"]),
    ("links on a panel", VARS["accent"], VARS["panel"]),
    *((f"severity {k}", "#111111", VARS[k]) for k in ("extreme", "severe", "moderate", "minor")),
    *((f"camera {k}", "#111111", VARS[k]) for k in ("ok", "bad", "warn", "unknown")),
    ("primary button", VARS["text"], "#1f5fa8"),
    ("danger button", VARS["text"], "#6b1f1f"),
    ("error text", "#ff8a8a", VARS["bg"]),
]


@pytest.mark.parametrize(("what", "fore", "back"), PAIRS, ids=[p[0] for p in PAIRS])
def test_text_meets_wcag_aa_contrast(what: str, fore: str, back: str) -> None:
    assert contrast(fore, back) >= 4.5, f"{what}: {fore} on {back} is {contrast(fore, back):.2f}:1"


def test_the_keyboard_focus_ring_stands_out() -> None:
    assert ":focus-visible" in CSS
    assert contrast(VARS["focus"], VARS["bg"]) >= 3.0  # non-text contrast for the ring


def test_the_base_type_is_large() -> None:
    assert int(re.search(r"font-size:\s*(\d+)px", CSS.split("}")[0]).group(1)) >= 18  # type: ignore[union-attr]

"""`{{ start|took:end }}`: how long something took, in words a person reads at a glance.

Django's `timesince` counts whole minutes, so every job under a minute read "0 minutes".
"""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


def describe_seconds(seconds: float) -> str:
    """12.4 -> "12 s"; 0.3 -> "under 1 s"; 95 -> "1 min 35 s"; 7260 -> "2 h 1 min"."""
    whole = int(seconds)
    if whole < 1:
        return "under 1 s"
    if whole < 60:
        return f"{whole} s"
    minutes, seconds_left = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds_left} s" if seconds_left else f"{minutes} min"
    hours, minutes_left = divmod(minutes, 60)
    return f"{hours} h {minutes_left} min" if minutes_left else f"{hours} h"


@register.filter
def took(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    return describe_seconds(max(0.0, (end - start).total_seconds()))

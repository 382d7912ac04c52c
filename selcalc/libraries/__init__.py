"""Real AD libraries: their ops' kink rules per version (data), presets, and the audit.

>>> preset_for("torch", "2.13.0")
('pytorch@2.13', None)
>>> name, warning = preset_for("torch", "2.11.0"); name
'pytorch@2.13'
>>> print(warning)
torch 2.11.0 has not been measured by selcalc; using the preset of the nearest measured version, 'pytorch@2.13' (run `selcalc audit torch` to measure the installed version)
"""

from __future__ import annotations

from .table import PRESET_NAMES, RULES, measured_versions, newest

__all__ = ["PRESET_NAMES", "RULES", "measured_versions", "newest", "preset_for"]


def _minor(version):
    parts = str(version).split("+")[0].split(".")
    return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in parts[:2])


def preset_for(library, version):
    """``(preset name, warning or None)`` for ``library`` at an installed ``version``.

    A version whose major.minor was measured maps to that preset; any other maps to the
    nearest measured version, with a warning that says so.
    """
    want = _minor(version)
    versions = measured_versions(library)
    for v in versions:
        if _minor(v) == want:
            return f"{PRESET_NAMES[library]}@{v}", None

    def distance(v):
        a, b = _minor(v)
        return (abs(a - want[0]), abs(b - want[1]))

    best = min(versions, key=distance)
    name = f"{PRESET_NAMES[library]}@{best}"
    return name, (f"{library} {version} has not been measured by selcalc; using the preset "
                  f"of the nearest measured version, {name!r} (run `selcalc audit "
                  f"{library}` to measure the installed version)")

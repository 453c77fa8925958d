"""The CJK font of the PDF: finding Noto Sans CJK TC, and embedding its subset so that
every reader extracts the text (codes are CIDs, /Identity-H) and subsetting stays fast."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import ExportError

FAMILY = "Noto Sans CJK TC"
# Debian's fonts-noto-cjk ships Traditional Chinese as face 3 of these collections.
FALLBACK_FONTS = {
    "": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),
    "B": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 3),
}


class FontMissing(ExportError):
    """The CJK font the PDF needs is not installed."""


@lru_cache(maxsize=4)
def find_font(style: str) -> tuple[str, int]:
    """(file, face index) of Noto Sans CJK TC regular ('') or bold ('B'). Raises FontMissing."""
    wanted = "Bold" if style == "B" else "Regular"
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{family}|%{file}|%{index}", f"{FAMILY}:style={wanted}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            family, file, index = out.rsplit("|", 2)
            if FAMILY in family and Path(file).exists():
                return file, int(index)
        except (subprocess.SubprocessError, ValueError, OSError):
            pass
    path, index = FALLBACK_FONTS[style]
    if Path(path).exists():
        return path, index
    raise FontMissing(
        f"The PDF export needs the {FAMILY} font (Debian/Ubuntu package fonts-noto-cjk).",
        field="format",
        code="font_missing",
    )


# --- text every reader can extract --------------------------------------------------------------
#
# fpdf2 numbers the glyphs of a CFF (CID-keyed) subset 1, 2, 3, ... and maps these codes to
# the font's CIDs with an embedded /Encoding CMap stream. Poppler reads that, but pypdf (and
# other readers) only know the predefined encodings such as /Identity-H, fall back to one
# byte per code, and extract a NUL before every character. So the codes written are the
# CIDs themselves (code = CID) and the font's /Encoding stays /Identity-H; the ToUnicode
# map is keyed by the same codes, so every reader gets the text.


def _cid_of(glyph) -> int:
    name = getattr(glyph, "glyph_name", "") or ""
    if name.startswith("cid") and name[3:].isdigit():
        return int(name[3:])
    return int(glyph.glyph_id)


def _use_cid_codes(font) -> None:
    from fpdf.fonts import SubsetMap

    if not (getattr(font, "is_cff", False) and getattr(font, "is_cid_keyed", False)):
        return

    class CidSubsetMap(SubsetMap):
        def __init__(self, f) -> None:  # noqa: D401 - same contract as SubsetMap
            self.font = f
            self._next = 0
            self._reserved = []
            self._char_id_per_glyph = {}
            for x in (0x00, 0x20):
                glyph = self.get_glyph(unicode=x)
                if glyph:
                    self._char_id_per_glyph[glyph] = _cid_of(glyph)

        def pick_glyph(self, glyph):
            char_id = self._char_id_per_glyph.get(glyph)
            if glyph is not None and char_id is None:
                char_id = _cid_of(glyph)
                self._char_id_per_glyph[glyph] = char_id
            return char_id

    font.subset = CidSubsetMap(font)


@contextmanager
def _no_seac_closure():
    """While the fonts are subset: no glyph closure over CID-keyed CFF charstrings.

    fontTools runs every kept glyph's charstring to find the accent components of ``seac``
    (a Type 1 compatibility operator of name-keyed fonts); a CID-keyed CJK font has none,
    and running 3,000-odd charstrings cost seconds per font. Name-keyed fonts keep it."""
    from fontTools import ttLib

    cff = ttLib.getTableClass("CFF ")
    closure = cff.closure_glyphs

    def closure_glyphs(self, s):
        if all(getattr(font, "ROS", None) is not None for font in self.cff.values()):
            return None  # CID-keyed: seac cannot occur
        return closure(self, s)

    cff.closure_glyphs = closure_glyphs
    try:
        yield
    finally:
        cff.closure_glyphs = closure


@lru_cache(maxsize=1)
def _identity_h_producer():
    from fpdf.output import OutputProducer
    from fpdf.syntax import Name

    class IdentityHProducer(OutputProducer):
        def _add_fonts(self, *args, **kwargs):
            with _no_seac_closure():
                objs = super()._add_fonts(*args, **kwargs)
            for obj in objs.values():
                if getattr(obj, "subtype", None) == Name("Type0") and not isinstance(
                    getattr(obj, "encoding", None), (str, type(None))
                ):
                    obj.encoding = Name("Identity-H")  # codes are CIDs (see _use_cid_codes)
            return objs

    return IdentityHProducer

"""QR codes of survey links, as SVG (print) and PNG (receipt printers, chat apps)."""

import io

import segno


def qr_svg(url: str, *, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, xmldecl=False, border=2)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()

"""Login codes as images: WhatsApp's QR string rendered to a base64 PNG for the dashboard."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_L


def render_qr_png(qr_string: str, *, box_size: int = 6, border: int = 4) -> str:
    """Base64 (no `data:` prefix) of a PNG that a phone camera can scan."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, box_size=box_size, border=border)
    code.add_data(qr_string)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")

"""The login QR string, and QR images: render one for the page, decode one in tests.

The string is what WhatsApp Web encodes and what whatsapp-web.js rebuilds from the page's modules:
`ref,noiseKeyB64,identityKeyB64,advSecretB64,platform`.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from simulator.errors import InvalidRequest


@dataclass(frozen=True)
class LoginQr:
    ref: str
    noise_key_b64: str
    identity_key_b64: str
    adv_secret_b64: str
    platform: str

    def __str__(self) -> str:
        return ",".join(
            (self.ref, self.noise_key_b64, self.identity_key_b64, self.adv_secret_b64, self.platform)
        )


def parse_login_qr(text: object) -> LoginQr:
    """Split a scanned QR string; malformed strings raise `InvalidRequest` (`invalid_qr`)."""
    if not isinstance(text, str) or not text:
        raise InvalidRequest("invalid_qr", "qr must be the decoded QR string")
    parts = text.strip().split(",")
    if len(parts) != 5:
        raise InvalidRequest(
            "invalid_qr",
            f"a login QR has 5 comma-separated parts (ref,noise,identity,adv,platform), got {len(parts)}",
        )
    ref, noise, identity, adv, platform = parts
    if not ref.startswith("2@"):
        raise InvalidRequest("invalid_qr", "the QR does not start with a login ref (2@...)")
    for label, value in (("noise key", noise), ("identity key", identity), ("ADV secret", adv)):
        if len(_b64_bytes(value, label)) != 32:
            raise InvalidRequest("invalid_qr", f"the {label} in the QR is not 32 bytes")
    if not platform:
        raise InvalidRequest("invalid_qr", "the QR has no platform")
    return LoginQr(ref, noise, identity, adv, platform)


def render_qr_png(text: str) -> bytes:
    import qrcode

    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_qr_png(png: bytes | str) -> str:
    """The text of the QR code in a PNG, given as bytes, base64, or a `data:image/png;base64,` URL."""
    import zxingcpp
    from PIL import Image

    if isinstance(png, str):
        payload = png.split(",", 1)[1] if png.startswith("data:") else png
        png = base64.b64decode(payload)
    image = Image.open(io.BytesIO(png)).convert("L")
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    if not results:
        raise ValueError("no QR code found in the image")
    return results[0].text


def _b64_bytes(value: str, label: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest("invalid_qr", f"the {label} in the QR is not base64") from exc

"""A local stand-in for WhatsApp Web and the WhatsApp servers, for tests and the local stack.

`python -m simulator` serves the page at `/` (like https://web.whatsapp.com/), the page's
WebSocket at `/ws/chat`, and the control API (the phone and the customers) under `/control/`.
See `simulator/README.md`.
"""

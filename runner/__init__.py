"""The wagate runner: a long-lived service holding WhatsApp Web sessions in one Chromium."""

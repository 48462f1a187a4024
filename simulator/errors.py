"""The simulator's error tree; the control API turns each into `{"error": {"code", "message"}}`.

SimulatorError
├── InvalidRequest   400  a body or query the API cannot use
├── NotFound         404  no such device, number or pairing code
└── Rejected         409  well-formed, but the simulated world says no (expired QR, wrong phone)
"""

from __future__ import annotations


class SimulatorError(Exception):
    status = 500

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidRequest(SimulatorError):
    status = 400


class NotFound(SimulatorError):
    status = 404


class Rejected(SimulatorError):
    status = 409

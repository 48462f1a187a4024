"""The media part of the OpenAPI document (merged into `openapi.OPENAPI`)."""

from __future__ import annotations

from typing import Any

from chalicelib.openapi_parts import UUID, body, errors, json_content, nullable, ref
from wagate.media import MEDIA_TYPES, MESSAGE_TYPES
from wagate.media_api import MAX_FILENAME
from wagate.status import MAX_TEXT_LENGTH
from wagate.validation import MAX_URL_LENGTH

LIMITS = (
    "Checked on the bytes themselves, never the name: image JPEG/PNG up to 5 MB; audio (AAC, AMR, MP3, "
    "M4A, OGG/Opus) 16 MB (`ptt`: sent as a voice note, converted to OGG/Opus when it is not); video "
    "MP4 (H.264 + AAC) 16 MB; sticker WebP up to 100 KB (500 KB animated); document: any file up to "
    "100 MB. The operator may lower or raise them (WAGATE_MEDIA_MAX_*_BYTES)."
)

MESSAGE_MEDIA_PROPERTIES: dict[str, Any] = {
    "type": {
        "type": "string",
        "enum": list(MESSAGE_TYPES),
        "description": "`chat` for text; a media message's text (`content`) is its caption.",
    },
    "media": nullable(
        {
            "type": "object",
            "required": ["mime", "size", "sha256"],
            "properties": {
                "mime": {"type": "string", "description": "The real type, sniffed from the bytes."},
                "size": {"type": "integer"},
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "filename": nullable({"type": "string"}),
            },
            "description": "The file (GET /api/messages/{id}/media); null for text, or when it could "
            "not be kept (`media_error` says why).",
        }
    ),
    "media_error": nullable(
        {"type": "string", "description": "Why a media message has no file (too large, download failed)."}
    ),
    "location": nullable(
        {
            "type": "object",
            "properties": {
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "name": nullable({"type": "string"}),
                "address": nullable({"type": "string"}),
            },
        }
    ),
    "contact": nullable(
        {
            "type": "object",
            "properties": {
                "name": nullable({"type": "string"}),
                "phones": {"type": "array", "items": {"type": "string"}},
                "vcard": {"type": "string"},
            },
        }
    ),
}

SEND_MEDIA_PROPERTIES: dict[str, Any] = {
    "media_id": {**UUID, "description": "An upload (POST /api/media) whose file was PUT. " + LIMITS},
    "media_url": {
        "type": "string",
        "format": "uri",
        "pattern": "^https?://[^\\s@/?#]+(/[^\\s]*)?$",
        "maxLength": MAX_URL_LENGTH,
        "description": "An https URL wagate fetches through its endpoint guard (public addresses only, "
        "no redirects). " + LIMITS,
    },
    "caption": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH, "pattern": "\\S"},
    "type": {
        "type": "string",
        "enum": list(MEDIA_TYPES),
        "description": "How to send the file (inferred from its bytes when absent; `ptt` = a voice note).",
    },
}

SCHEMAS: dict[str, Any] = {
    "MediaUploadRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["mime", "size"],
        "properties": {
            "mime": {"type": "string", "pattern": "^[a-z]+/[-+.\\w]+$", "maxLength": 127},
            "filename": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_FILENAME,
                "pattern": "^[^/\\\\]+$",
            },
            "size": {"type": "integer", "minimum": 1, "maximum": 100 * 2**20},
        },
    },
    "MediaUpload": {
        "type": "object",
        "required": ["media_id", "upload_url", "method", "expires_in"],
        "properties": {
            "media_id": UUID,
            "upload_url": {"type": "string", "description": "PUT the file's bytes here (presigned S3)."},
            "method": {"type": "string", "enum": ["PUT"]},
            "expires_in": {"type": "integer", "description": "Seconds the upload_url stays valid."},
        },
    },
    "MediaLink": {
        "type": "object",
        "required": ["url", "expires_in", "mime", "size"],
        "properties": {
            "url": {"type": "string", "description": "A presigned GET of the file."},
            "expires_in": {"type": "integer"},
            "mime": {"type": "string"},
            "size": {"type": "integer"},
            "filename": nullable({"type": "string"}),
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/media": {
        "post": {
            "operationId": "createMediaUpload",
            "summary": "Make room for a file to send: PUT its bytes to `upload_url`, then send it with "
            "`media_id` (POST /api/messages/send). Unsent uploads are removed after a day.",
            "requestBody": body("MediaUploadRequest"),
            "responses": {
                "201": json_content(ref("MediaUpload"), "Upload the file to `upload_url`."),
                **errors(400, 401, 413, 415, 429, 503),
            },
        }
    },
    "/api/messages/{id}/media": {
        "parameters": [
            {
                "name": "id",
                "in": "path",
                "required": True,
                "description": "The message's `id` (a UUID).",
                "schema": UUID,
            }
        ],
        "get": {
            "operationId": "getMessageMedia",
            "summary": "A message's file: a redirect to a short-lived URL (15 minutes), or that URL as "
            "JSON with `redirect=false`.",
            "parameters": [
                {
                    "name": "redirect",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
                }
            ],
            "responses": {
                "200": json_content(ref("MediaLink"), "With `redirect=false`: the URL."),
                "302": {
                    "description": "To the file's short-lived URL.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                **errors(400, 401, 404, 429, 503),
            },
        },
    },
}

// Pure: what a message's media is in words, sizes, map links, and when a file's URL is stale.

import type { Message, MessageLocation } from './api/types';
import { currentLocale, t } from './i18n';

/** Types whose content is a file the API keeps (fetched with GET /api/messages/{id}/media). */
export const FILE_TYPES = ['image', 'sticker', 'ptt', 'audio', 'video', 'document'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export function isFileType(type: string | undefined): type is FileType {
  return (FILE_TYPES as readonly string[]).includes(type ?? '');
}

/** What a file message is called where there is no caption or file name ("Photo"). */
export function fileNoun(type: FileType): string {
  return t(`media.noun.${type}`);
}

/** An image's alt text: its caption, else what it is ("Photo", "Sticker"). */
export function altText(message: Pick<Message, 'type' | 'content'>): string {
  const caption = message.content?.trim();
  if (caption) return caption;
  return fileNoun(message.type === 'sticker' ? 'sticker' : 'image');
}

/** Why a file message has no file, as the history says it. */
export function describeMissingFile(mediaError: string | null | undefined): string {
  return mediaError ? t('media.notKept', { reason: mediaError }) : t('media.notAvailable');
}

const SIZE_UNITS = [
  [1e9, 'gigabyte'],
  [1e6, 'megabyte'],
  [1e3, 'kilobyte'],
] as const;

/** "512 bytes", "123 kB", "1.2 MB" (decimal units, as WhatsApp states its limits), in `locale`. */
export function formatFileSize(bytes: number, locale: string = currentLocale()): string {
  for (const [factor, unit] of SIZE_UNITS) {
    if (bytes >= factor) {
      const value = bytes / factor;
      return new Intl.NumberFormat(locale, {
        style: 'unit',
        unit,
        unitDisplay: 'short',
        maximumFractionDigits: value < 10 ? 1 : 0,
      }).format(value);
    }
  }
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
}

/** A coordinate rounded to ~1 m, without locale digits (it is read next to a map link). */
function coordinate(value: number): string {
  return String(Number(value.toFixed(5)));
}

/** "52.52, 13.405". */
export function formatCoordinates(location: Pick<MessageLocation, 'latitude' | 'longitude'>): string {
  return `${coordinate(location.latitude)}, ${coordinate(location.longitude)}`;
}

/** The place on OpenStreetMap, marked, at street zoom. */
export function openStreetMapUrl(location: Pick<MessageLocation, 'latitude' | 'longitude'>): string {
  const lat = coordinate(location.latitude);
  const lon = coordinate(location.longitude);
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
}

/** A presigned URL is used for at most 10 minutes, or two thirds of its life if shorter. */
export const LINK_REFRESH_AFTER_MS = 10 * 60_000;

export function linkRefreshAfterMs(expiresInSeconds: number): number {
  const life = Number.isFinite(expiresInSeconds) && expiresInSeconds > 0 ? expiresInSeconds * 1000 : 0;
  return Math.min(LINK_REFRESH_AFTER_MS, (life * 2) / 3);
}

/** Whether a URL fetched at `fetchedAt` may still be used at `now`. */
export function isLinkFresh(link: { fetchedAt: number; expiresIn: number }, now: number): boolean {
  return now - link.fetchedAt < linkRefreshAfterMs(link.expiresIn);
}

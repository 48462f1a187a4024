import { useCallback, useEffect, useRef, useState } from 'react';
import type { WagateClient } from '../api/client';
import { useWagate } from '../api/context';
import { isLinkFresh } from '../media';

/** A media message's presigned URL and when it was fetched. */
export interface FetchedLink {
  url: string;
  fetchedAt: number;
  /** Seconds the URL is valid for, as the API said. */
  expiresIn: number;
}

/**
 * The user's media URLs, in memory: one request per message at a time, and a fetched URL reused
 * while it is fresh (see `isLinkFresh`). One cache per client, so another user's token never sees
 * another's URLs.
 */
export class MediaLinks {
  private readonly links = new Map<string, FetchedLink>();
  private readonly pending = new Map<string, Promise<FetchedLink>>();

  constructor(private readonly client: WagateClient) {}

  /** The URL if it is still fresh. */
  fresh(messageId: string, now = Date.now()): FetchedLink | null {
    const link = this.links.get(messageId);
    return link && isLinkFresh(link, now) ? link : null;
  }

  /** A fresh URL: the cached one, the request already on its way, or a new request. */
  get(messageId: string, options: { renew?: boolean } = {}): Promise<FetchedLink> {
    const pending = this.pending.get(messageId);
    if (pending) return pending;
    const cached = options.renew ? null : this.fresh(messageId);
    if (cached) return Promise.resolve(cached);
    const request = this.client
      .getMessageMedia(messageId)
      .then((answer) => {
        const link = { url: answer.url, fetchedAt: Date.now(), expiresIn: answer.expires_in };
        this.links.set(messageId, link);
        return link;
      })
      .finally(() => this.pending.delete(messageId));
    this.pending.set(messageId, request);
    return request;
  }
}

const CACHES = new WeakMap<WagateClient, MediaLinks>();

export function mediaLinksFor(client: WagateClient): MediaLinks {
  let links = CACHES.get(client);
  if (!links) {
    links = new MediaLinks(client);
    CACHES.set(client, links);
  }
  return links;
}

export interface MediaLinkState {
  /** Null until fetched (and while `enabled` is false). */
  url: string | null;
  /** The URL could not be fetched, or the file behind it could not be loaded. */
  failed: boolean;
  /** Fetches a new URL (the Retry button). */
  retry(): void;
  /** For the element's `onError`: a stale URL is renewed once; a fresh one that fails is a failure. */
  onLoadError(): void;
  /** Whether `url` is too old to open now (see `isLinkFresh`). */
  isStale(): boolean;
  /** A URL fresh enough to open now, renewed first when it is stale (for links clicked late). */
  freshUrl(): Promise<string>;
}

/** A media message's file URL, fetched once `enabled` (e.g. scrolled into view), never in a loop. */
export function useMediaLink(messageId: string, enabled: boolean): MediaLinkState {
  const { client } = useWagate();
  const links = mediaLinksFor(client);
  const [link, setLink] = useState<FetchedLink | null>(null);
  const [failed, setFailed] = useState(false);
  // Bumped by retry() and by a stale URL's load error: each bump is one more request, by a user
  // action or a load error, so there is no loop.
  const [attempt, setAttempt] = useState(0);
  const renew = useRef(false);
  const linkRef = useRef(link);
  linkRef.current = link;

  useEffect(() => {
    if (!enabled) return undefined;
    // A new client (the user's token was refreshed) keeps a URL still fresh: a playing voice note
    // is not interrupted.
    if (!renew.current && linkRef.current && isLinkFresh(linkRef.current, Date.now())) return undefined;
    let current = true;
    const options = { renew: renew.current };
    renew.current = false;
    links.get(messageId, options).then(
      (fetched) => {
        if (!current) return;
        setLink(fetched);
        setFailed(false);
      },
      () => {
        if (current) setFailed(true);
      },
    );
    return () => {
      current = false;
    };
  }, [links, messageId, enabled, attempt]);

  const retry = useCallback(() => {
    renew.current = true;
    setFailed(false);
    setLink(null);
    setAttempt((n) => n + 1);
  }, []);

  const onLoadError = useCallback(() => {
    if (link && !isLinkFresh(link, Date.now())) retry();
    else setFailed(true);
  }, [link, retry]);

  const freshUrl = useCallback(async () => {
    const fetched = await links.get(messageId);
    setLink(fetched);
    return fetched.url;
  }, [links, messageId]);

  const isStale = useCallback(() => !link || !isLinkFresh(link, Date.now()), [link]);

  return { url: link?.url ?? null, failed, retry, onLoadError, isStale, freshUrl };
}

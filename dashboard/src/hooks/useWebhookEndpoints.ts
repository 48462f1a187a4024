import { useCallback, useRef, useState } from 'react';
import { ApiError, isAbortError } from '../api/client';
import { useWagate } from '../api/context';
import type { CreateWebhookBody, UpdateWebhookBody, Webhook, WebhookTest, WebhookWithSecret } from '../api/types';
import { usePolling, type PollResult } from './usePolling';

/**
 * The list changes mostly by the user's own actions (applied at once); the dispatcher marks an
 * endpoint failing or disables it only over minutes and days, so a slow poll keeps up.
 */
export const WEBHOOK_LIST_POLL_FACTOR = 10;

export interface WebhookEndpoints {
  /** The user's endpoints, oldest first (never their secrets). */
  webhooks: Webhook[];
  loaded: boolean;
  /** The last look-up's failure (cleared by the next success). */
  error: Error | null;
  /** The token was refused (401): polling stopped until the page is reloaded. */
  unauthorized: boolean;
  /** The calls below reject with the client's errors, for the caller to show where it acted. */
  create(body: CreateWebhookBody): Promise<WebhookWithSecret>;
  update(id: string, body: UpdateWebhookBody): Promise<Webhook>;
  remove(id: string): Promise<void>;
  rotateSecret(id: string): Promise<WebhookWithSecret>;
  sendTest(id: string): Promise<WebhookTest>;
}

function withoutSecret(webhook: Webhook): Webhook {
  const kept = { ...webhook };
  delete kept.secret;
  return kept;
}

/** The signed-in user's webhook endpoints, polled slowly while the page is visible, and the actions on them. */
export function useWebhookEndpoints(): WebhookEndpoints {
  const { client, pollIntervalMs } = useWagate();
  const [webhooks, setWebhooks] = useState<Webhook[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [unauthorized, setUnauthorized] = useState(false);
  // A look-up that started before an action finished must not undo the action's result.
  const generation = useRef(0);

  const poll = useCallback(
    async (signal: AbortSignal): Promise<PollResult> => {
      const started = generation.current;
      try {
        const list = await client.listWebhooks({ signal });
        if (generation.current === started) setWebhooks(list);
        setError(null);
        setLoaded(true);
        return undefined;
      } catch (caught) {
        if (isAbortError(caught)) throw caught;
        if (caught instanceof Error) setError(caught);
        if (caught instanceof ApiError && caught.isUnauthorized) {
          setUnauthorized(true);
          setLoaded(true);
          return 'stop';
        }
        throw caught;
      }
    },
    [client],
  );
  const refresh = usePolling(poll, pollIntervalMs * WEBHOOK_LIST_POLL_FACTOR, !unauthorized);

  const apply = useCallback(
    (change: (list: Webhook[]) => Webhook[]) => {
      generation.current += 1;
      setWebhooks(change);
      refresh();
    },
    [refresh],
  );
  const replace = useCallback(
    (next: Webhook) => apply((list) => list.map((w) => (w.id === next.id ? withoutSecret(next) : w))),
    [apply],
  );

  const create = useCallback(
    async (body: CreateWebhookBody) => {
      const made = await client.createWebhook(body);
      apply((list) => [...list.filter((w) => w.id !== made.id), withoutSecret(made)]);
      return made;
    },
    [client, apply],
  );
  const update = useCallback(
    async (id: string, body: UpdateWebhookBody) => {
      const next = await client.updateWebhook(id, body);
      replace(next);
      return next;
    },
    [client, replace],
  );
  const remove = useCallback(
    async (id: string) => {
      try {
        await client.deleteWebhook(id);
      } catch (caught) {
        // Already gone (deleted in another tab): what the user asked for.
        if (!(caught instanceof ApiError && caught.code === 'webhook_not_found')) throw caught;
      }
      apply((list) => list.filter((w) => w.id !== id));
    },
    [client, apply],
  );
  const rotateSecret = useCallback(
    async (id: string) => {
      const rotated = await client.rotateWebhookSecret(id);
      replace(rotated);
      return rotated;
    },
    [client, replace],
  );
  const sendTest = useCallback((id: string) => client.testWebhook(id), [client]);

  return { webhooks, loaded, error, unauthorized, create, update, remove, rotateSecret, sendTest };
}

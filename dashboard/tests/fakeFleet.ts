// The operator's part of the fake API (tests/fakeApi.ts): the fleet as GET /api/admin/fleet
// answers it, and restart / release of a stuck session. For a user who is no operator (`fleet`
// null) every admin route answers 404, as the real API does.

import type { AdminRunner, AdminSession, Fleet } from '../src/api/types';
import type { Call } from './fakeApi';
import { error, json } from './fakeHttp';

export const STUCK_SESSION_ID = '5f0c8a2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b';

export function fakeRunner(patch: Partial<AdminRunner> = {}): AdminRunner {
  return {
    runner_id: 'runner-a1',
    capacity: 8,
    active_sessions: 2,
    started_at: new Date(Date.now() - 3_600_000).toISOString(),
    heartbeat_at: new Date(Date.now() - 3000).toISOString(),
    heartbeat_age_s: 3,
    alive: true,
    browser_restarts: 1,
    queue: { visible: 0, in_flight: 1, dead_letters: 0 },
    ...patch,
  };
}

export function fakeStuckSession(patch: Partial<AdminSession> = {}): AdminSession {
  return {
    id: STUCK_SESSION_ID,
    user_id: '0a1b2c3d-0000-4000-8000-0000000000a1',
    chatbot_id: '0a1b2c3d-0000-4000-8000-0000000000c1',
    status: 'starting',
    status_since: new Date(Date.now() - 7 * 60_000).toISOString(),
    runner_id: 'runner-b2',
    lease_expires_at: null,
    last_error_code: 'whatsapp_web_did_not_load',
    reason: 'opening_too_long',
    ...patch,
  };
}

/** A fleet of two runners (one gone), a few sessions, one stuck, failures in two hours. */
export function fakeFleet(): Fleet {
  const hour = (ago: number) => {
    const at = new Date(Date.now() - ago * 3_600_000);
    at.setUTCMinutes(0, 0, 0);
    return at.toISOString();
  };
  return {
    generated_at: new Date().toISOString(),
    heartbeat_window_s: 20,
    stuck_after_s: 300,
    runners: [
      fakeRunner(),
      fakeRunner({
        runner_id: 'runner-b2',
        alive: false,
        heartbeat_age_s: 125,
        active_sessions: 1,
        browser_restarts: 0,
        queue: { visible: 3, in_flight: 0, dead_letters: 2 },
      }),
    ],
    queues: { start: { visible: 1234, in_flight: 0, dead_letters: 0 } },
    sessions: { by_status: { connected: 1500, starting: 1, failed: 4 }, total: 1505 },
    stuck_sessions: [fakeStuckSession()],
    failures: {
      since: hour(24),
      by_hour: [
        { hour: hour(2), sessions: { connection_lost: 2 }, messages: {} },
        { hour: hour(1), sessions: {}, messages: { chatbot_timeout: 7, send_failed: 1 } },
      ],
    },
  };
}

export class FakeFleet {
  /** What the operator sees; null: the signed-in user is no operator. */
  fleet: Fleet | null = null;

  route(call: Call): Response | null {
    const { method, path } = call;
    if (!path.startsWith('/api/admin/')) return null;
    if (!this.fleet) return error(404, 'not_found', 'no such route');
    if (method === 'GET' && path === '/api/admin/fleet') {
      return json(200, { ...this.fleet, generated_at: new Date().toISOString() });
    }
    const match = path.match(/^\/api\/admin\/sessions\/([^/]+)\/(restart|release)$/);
    if (method !== 'POST' || !match) return error(404, 'not_found', 'no such route');
    const id = decodeURIComponent(match[1]);
    const stuck = this.fleet.stuck_sessions.find((s) => s.id === id);
    if (!stuck) return error(404, 'session_not_found', 'no such session');
    const action = match[2] as 'restart' | 'release';
    const session: AdminSession =
      action === 'restart' ? { ...stuck, status: 'pending', runner_id: null, reason: undefined } : { ...stuck, runner_id: null };
    // The session is on its way again: no longer listed as stuck.
    this.fleet = { ...this.fleet, stuck_sessions: this.fleet.stuck_sessions.filter((s) => s.id !== id) };
    delete session.reason;
    return json(action === 'restart' ? 202 : 200, { session, action });
  }
}

import { act, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import { FLEET_POLL_MS } from '../src/hooks/useFleet';
import { i18n } from '../src/i18n';
import { fakeFleet, fakeRunner, STUCK_SESSION_ID } from './fakeFleet';
import { nextPoll, pass, startApp } from './harness';

function fleetCalls(api: { callsTo: (m: string, p: string) => unknown[] }) {
  return api.callsTo('GET', '/api/admin/fleet').length;
}

function section(name: string) {
  return within(screen.getByRole('region', { name }));
}

function rowOf(table: HTMLElement, text: string): HTMLElement {
  const row = within(table)
    .getAllByRole('row')
    .find((r) => r.textContent?.includes(text));
  if (!row) throw new Error(`no row with ${text}`);
  return row;
}

describe('the fleet page', () => {
  beforeEach(() => {
    window.location.hash = '';
  });

  it('an operator finds it in the header and sees runners, queues, sessions, stuck sessions and failures', async () => {
    const { api, user } = startApp({ prepare: (a) => (a.admin.fleet = fakeFleet()) });
    await nextPoll();
    const pages = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(pages).getByRole('link', { name: 'Chatbot settings' })).toHaveAttribute('aria-current', 'page');
    await user.click(within(pages).getByRole('link', { name: 'Fleet' }));
    await pass(0);
    expect(screen.getByRole('heading', { level: 1, name: 'Fleet' })).toBeInTheDocument();
    expect(within(pages).getByRole('link', { name: 'Fleet' })).toHaveAttribute('aria-current', 'page');
    expect(screen.queryByRole('region', { name: 'WhatsApp' })).not.toBeInTheDocument();

    const runners = screen.getByRole('table', { name: 'Runners' });
    const first = rowOf(runners, 'runner-a1');
    expect(within(first).getByText('Alive')).toHaveClass('wg-badge--success');
    expect(first).toHaveTextContent('3 seconds ago');
    expect(first).toHaveTextContent('2 of 8');
    const gone = rowOf(runners, 'runner-b2');
    expect(within(gone).getByText('Gone')).toHaveClass('wg-badge--danger');
    expect(gone).toHaveTextContent('2 minutes ago');
    expect(within(gone).getAllByRole('cell').map((c) => c.textContent).slice(-3)).toEqual(['3', '0', '2']);
    expect(screen.getByText('1 of 2 alive')).toBeInTheDocument();
    expect(screen.getByText(/A runner is gone after 20 sec without a heartbeat; a session is stuck after 5 min/)).toBeInTheDocument();

    expect(section('Start queue').getByText('1,234')).toBeInTheDocument();
    const byStatus = screen.getByRole('table', { name: 'Sessions by status' });
    expect(rowOf(byStatus, 'Connected')).toHaveTextContent('1,500');
    expect(rowOf(byStatus, 'Total')).toHaveTextContent('1,505');

    const stuck = rowOf(screen.getByRole('table', { name: 'Stuck sessions' }), STUCK_SESSION_ID);
    expect(stuck).toHaveTextContent('Starting');
    expect(stuck).toHaveTextContent('since 7 minutes ago');
    expect(stuck).toHaveTextContent('Opening for too long');
    expect(stuck).toHaveTextContent('last error whatsapp_web_did_not_load');

    const failures = screen.getByRole('table', { name: 'Failures, last 24 hours' });
    const rows = within(failures).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('chatbot_timeout 7'); // the latest hour first
    expect(rows[2]).toHaveTextContent('connection_lost 2');
    expect(api.calls.every((c) => c.authorization === 'Bearer test-access-token')).toBe(true);
  });

  it('refreshes every few seconds while shown: a runner that stops beating turns Gone', async () => {
    window.location.hash = '#fleet';
    const { api } = startApp({ prepare: (a) => (a.admin.fleet = fakeFleet()) });
    await nextPoll();
    const runners = screen.getByRole('table', { name: 'Runners' });
    expect(within(rowOf(runners, 'runner-a1')).getByText('Alive')).toBeInTheDocument();
    api.admin.fleet!.runners[0] = fakeRunner({ alive: false, heartbeat_age_s: 24 });
    await pass(FLEET_POLL_MS + 10);
    expect(within(rowOf(runners, 'runner-a1')).getByText('Gone')).toBeInTheDocument();
    expect(rowOf(runners, 'runner-a1')).toHaveTextContent('24 seconds ago');

    // Back on the settings page, the fleet is not asked for any more.
    await act(async () => {
      window.location.hash = '';
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    });
    const calls = fleetCalls(api);
    await pass(FLEET_POLL_MS * 3);
    expect(fleetCalls(api)).toBe(calls);
  });

  it('restarts a stuck session and says what became of it; the list is asked for again', async () => {
    window.location.hash = '#fleet';
    const { api, user } = startApp({ prepare: (a) => (a.admin.fleet = fakeFleet()) });
    await nextPoll();
    const before = fleetCalls(api);
    await user.click(screen.getByRole('button', { name: `Restart session ${STUCK_SESSION_ID}` }));
    await pass(0);
    expect(api.callsTo('POST', `/api/admin/sessions/${STUCK_SESSION_ID}/restart`)).toHaveLength(1);
    expect(section('Stuck sessions').getByRole('status')).toHaveTextContent(
      `Session ${STUCK_SESSION_ID} restarted: now Waiting for a runner.`,
    );
    expect(fleetCalls(api)).toBeGreaterThan(before);
    expect(section('Stuck sessions').getByText('No session is stuck.')).toBeInTheDocument();
  });

  it("a release the API refuses is explained in the operator's language", async () => {
    window.location.hash = '#fleet';
    const { api, user } = startApp({
      prepare: (a) => {
        a.admin.fleet = fakeFleet();
        a.failNext('POST', /\/release$/, 409, 'session_not_held', 'no runner holds the session (pending)');
      },
    });
    await nextPoll();
    await act(() => i18n.changeLanguage('de'));
    await user.click(screen.getByRole('button', { name: `Sitzung ${STUCK_SESSION_ID} freigeben` }));
    await pass(0);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent(`Sitzung ${STUCK_SESSION_ID} konnte nicht freigegeben werden`);
    expect(alert).toHaveTextContent('Kein Runner hält diese Sitzung');
    // Numbers in German: 1.234 waiting in the start queue.
    expect(section('Start-Warteschlange').getByText('1.234')).toBeInTheDocument();
    expect(api.admin.fleet!.stuck_sessions).toHaveLength(1);
    expect(window.__wagateMissingKeys).toEqual([]);
  });

  it('a user who is no operator sees no Fleet link, and #fleet shows the settings; the fleet is asked once', async () => {
    window.location.hash = '#fleet';
    const { api } = startApp();
    await nextPoll();
    const pages = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(pages).getAllByRole('link').map((link) => link.textContent)).toEqual(['Chatbot settings', 'Insights']);
    expect(screen.queryByRole('link', { name: 'Fleet' })).not.toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Chatbot settings' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'WhatsApp' })).toBeInTheDocument();
    expect(screen.queryByText('Fleet')).not.toBeInTheDocument();
    await pass(FLEET_POLL_MS * 3);
    expect(fleetCalls(api)).toBe(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

import { act, render, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { WagateProvider } from '../src/api/context';
import { describeMessageStatus, MessageHistory } from '../src/components/MessageHistory';
import { API_URL, FakeWagateApi, TOKEN } from './fakeApi';
import { nextPoll, pass, POLL_MS, startApp } from './harness';

function messages() {
  return within(screen.getByRole('list', { name: 'Messages, newest first' })).getAllByRole('listitem');
}

describe('message history', () => {
  it('shows inbound and outbound messages, newest first, with status and time', async () => {
    const { api } = startApp({
      prepare: (a) => {
        const s = a.connect(a.addSession().id, '15550001111');
        const question = a.addMessage(s.id, {
          content: 'Do you open on Sundays?',
          from_number: '4915112345678',
          timestamp: '2026-11-25T10:00:00.000Z',
        });
        a.addMessage(s.id, {
          direction: 'outbound',
          from_number: '15550001111',
          to_number: '4915112345678',
          content: 'Yes, 10:00 to 16:00.',
          status: 'sent',
          ack: 3,
          reply_to: question.id,
          timestamp: '2026-11-25T10:00:02.000Z',
        });
        a.addMessage(s.id, {
          direction: 'outbound',
          to_number: '4915112345678',
          content: 'And holidays too.',
          status: 'failed',
          error: 'rate limited',
          timestamp: '2026-11-25T10:00:03.000Z',
        });
      },
    });
    await nextPoll();
    const items = messages();
    expect(items.map((li) => li.querySelector('.wg-message__text')?.textContent)).toEqual([
      'And holidays too.',
      'Yes, 10:00 to 16:00.',
      'Do you open on Sundays?',
    ]);
    expect(items[2]).toHaveClass('wg-message--inbound');
    expect(items[2]).toHaveTextContent('Customer +4915112345678');
    expect(items[2]).toHaveTextContent('Inbound message, Received');
    expect(items[1]).toHaveClass('wg-message--outbound');
    expect(items[1]).toHaveTextContent('Chatbot to +4915112345678');
    expect(items[1]).toHaveTextContent('Read');
    expect(items[0]).toHaveTextContent('Failed: rate limited');
    expect(items[1].querySelector('time')).toHaveAttribute('dateTime', '2026-11-25T10:00:02.000Z');
    expect(api.callsTo('GET', /\/messages$/)[0].query.get('limit')).toBe('50');
  });

  it('updates live: a new message and a status change appear on the next poll', async () => {
    const { api } = startApp({ prepare: (a) => a.connect(a.addSession().id) });
    await nextPoll();
    expect(screen.getByText(/No messages yet. When a customer writes to \+15550001111/)).toBeInTheDocument();
    const id = api.only().id;
    const inbound = api.addMessage(id, { content: 'Hi there' });
    const reply = api.addMessage(id, {
      direction: 'outbound',
      content: 'Hello! How can I help?',
      status: 'queued',
      reply_to: inbound.id,
      timestamp: new Date(Date.now() + 1000).toISOString(),
    });
    await nextPoll();
    expect(messages()).toHaveLength(2);
    expect(messages()[0]).toHaveTextContent('Queued');
    api.addMessage(id, { ...reply, status: 'sent', ack: 2 });
    await nextPoll();
    expect(messages()).toHaveLength(2);
    expect(messages()[0]).toHaveTextContent('Delivered');
  });

  it('loads older pages with the cursor', async () => {
    const { api, user } = startApp({
      prepare: (a) => {
        const s = a.connect(a.addSession().id);
        for (let i = 0; i < 60; i += 1) {
          a.addMessage(s.id, { content: `message ${i}`, timestamp: new Date(Date.UTC(2026, 10, 25, 9, 0, i)).toISOString() });
        }
      },
    });
    await nextPoll();
    expect(messages()).toHaveLength(50);
    await user.click(screen.getByRole('button', { name: 'Load older messages' }));
    await pass(0);
    expect(api.callsTo('GET', /\/messages$/).at(-1)?.query.get('before')).toBe('50');
    expect(messages()).toHaveLength(60);
    expect(messages().at(-1)).toHaveTextContent('message 0');
    expect(screen.queryByRole('button', { name: 'Load older messages' })).not.toBeInTheDocument();
  });

  it('polls every ~1.5 s while visible, pauses while hidden, stops when unmounted', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const api = new FakeWagateApi();
    const session = api.connect(api.addSession().id);
    const view = render(
      <WagateProvider options={{ apiUrl: API_URL, accessToken: TOKEN, fetch: api.fetch }} pollIntervalMs={POLL_MS}>
        <MessageHistory sessionId={session.id} />
      </WagateProvider>,
    );
    const polls = () => api.callsTo('GET', /\/messages$/).length;
    await pass(10);
    expect(polls()).toBe(1);
    await pass(3 * POLL_MS);
    expect(polls()).toBe(4);

    let visibility: DocumentVisibilityState = 'hidden';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await pass(10 * POLL_MS);
    expect(polls()).toBe(4);

    visibility = 'visible';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await pass(10);
    expect(polls()).toBe(5); // at once on return

    view.unmount();
    await pass(10 * POLL_MS);
    expect(polls()).toBe(5);
  });

  it('describes each delivery state', () => {
    const base = { status: 'sent', ack: null, error: null } as const;
    const describe = (patch: object) => describeMessageStatus({ ...base, ...patch } as never);
    expect(describe({ status: 'received' })).toBe('Received');
    expect(describe({ status: 'replying' })).toBe('Chatbot is replying…');
    expect(describe({ status: 'replied' })).toBe('Replied');
    expect(describe({ status: 'queued' })).toBe('Queued');
    expect(describe({ ack: 1 })).toBe('Sent');
    expect(describe({ ack: 2 })).toBe('Delivered');
    expect(describe({ ack: 3 })).toBe('Read');
    expect(describe({ status: 'failed' })).toBe('Failed');
  });
});

describe('customers named by LID', () => {
  it('shows the phone number when WhatsApp knows it, else a hidden-number label, and edits and deletions', async () => {
    startApp({
      prepare: (a) => {
        const s = a.connect(a.addSession().id, '15550001111');
        a.addMessage(s.id, {
          content: 'shown',
          from_number: '4915112345678',
          customer_phone: '4915112345678',
          chat_id: '123456789012345@lid',
          timestamp: '2026-11-25T10:00:00.000Z',
          edited_at: '2026-11-25T10:00:05.000Z',
        });
        a.addMessage(s.id, {
          content: 'hidden',
          from_number: '987654321098765@lid',
          customer_phone: null,
          chat_id: '987654321098765@lid',
          timestamp: '2026-11-25T10:00:01.000Z',
          revoked_at: '2026-11-25T10:00:09.000Z',
        });
      },
    });
    await nextPoll();
    const [hidden, shown] = within(screen.getByRole('list', { name: 'Messages, newest first' })).getAllByRole('listitem');
    expect(shown).toHaveTextContent('Customer +4915112345678');
    expect(shown).toHaveTextContent('Edited by the customer.');
    expect(hidden).toHaveTextContent('Customer (hidden number ·8765)');
    expect(hidden).not.toHaveTextContent('987654321098765');
    expect(hidden).toHaveTextContent('The customer deleted this message.');
  });
});

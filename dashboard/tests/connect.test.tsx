import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeQr } from './fakeApi';
import { dialog, inDialog, nextPoll, pass, settings, startApp } from './harness';

function qrImage() {
  return inDialog().getByRole('img', { name: /WhatsApp QR code/ });
}

describe('Connect WhatsApp: the QR flow', () => {
  it('creates a session, shows the QR as soon as it is ready, then Connected with the number', async () => {
    const { api, user } = startApp();
    await nextPoll();
    expect(settings().getByText('Not connected', { selector: 'strong' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    const created = api.callsTo('POST', '/api/sessions/create');
    expect(created).toHaveLength(1);
    expect(created[0].body).toEqual({ chatbot_id: api.only().chatbot_id });
    expect(created[0].authorization).toBe('Bearer test-access-token');
    expect(dialog()).toBeInTheDocument();
    expect(inDialog().getByText('Preparing the code…')).toBeInTheDocument();
    expect(inDialog().getByRole('status')).toHaveTextContent('Starting…');

    const session = api.only();
    api.update(session.id, { status: 'starting' });
    await nextPoll();
    expect(inDialog().queryByRole('img')).not.toBeInTheDocument();

    api.showQr(session.id, 1);
    await nextPoll();
    expect(qrImage()).toHaveAttribute('src', `data:image/png;base64,${fakeQr(1)}`);
    expect(inDialog().getByRole('status')).toHaveTextContent('Scan the QR code');
    expect(inDialog().getAllByRole('listitem').map((li) => li.textContent)).toContain(
      'Tap Menu or Settings, then Linked devices.',
    );

    api.update(session.id, { status: 'authenticating', qr_code: null, qr_expires_at: null });
    await nextPoll();
    expect(inDialog().queryByRole('img')).not.toBeInTheDocument();
    expect(inDialog().getByRole('status')).toHaveTextContent('Finishing linking…');

    api.connect(session.id, '15550001111', 'Acme Support');
    await nextPoll();
    expect(inDialog().getByRole('status')).toHaveTextContent('Connected');
    expect(inDialog().getByText('+15550001111')).toBeInTheDocument();
    expect(inDialog().getByText('Acme Support')).toBeInTheDocument();
    expect(settings().getByText('+15550001111')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Manage connection' })).toBeInTheDocument();
  });

  it('refreshes the QR as it rotates and counts down to its expiry', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    const id = api.only().id;
    api.showQr(id, 1, 60_000);
    await nextPoll();
    expect(qrImage()).toHaveAttribute('src', `data:image/png;base64,${fakeQr(1)}`);
    const timer = () => inDialog().getByRole('timer');
    expect(timer().textContent).toMatch(/^0:5\d$/);

    await pass(10_000);
    expect(timer().textContent).toMatch(/^0:4\d$/);

    // WhatsApp rotates the code: the runner stores a new one with a fresh 60 s.
    api.showQr(id, 2, 60_000);
    await nextPoll();
    expect(qrImage()).toHaveAttribute('src', `data:image/png;base64,${fakeQr(2)}`);
    expect(timer().textContent).toMatch(/^(1:00|0:5\d)$/);
    expect(api.callsTo('POST', /restart$/)).toHaveLength(0);
  });

  it('never shows an expired code: at zero the QR goes and "New code" restarts the session', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    const id = api.only().id;
    api.showQr(id, 1, 5_000);
    await nextPoll();
    expect(qrImage()).toBeInTheDocument();

    // The row still says qr_ready (no poll yet), but its expiry has passed.
    await pass(5_000);
    expect(inDialog().queryByRole('img')).not.toBeInTheDocument();
    expect(inDialog().getByRole('status')).toHaveTextContent('Code expired');
    expect(inDialog().getByText('This code has expired.')).toBeInTheDocument();

    await user.click(inDialog().getByRole('button', { name: 'New code' }));
    await pass(0);
    expect(api.callsTo('POST', `/api/sessions/${id}/restart`)).toHaveLength(1);
    expect(inDialog().getByRole('status')).toHaveTextContent('Starting…');

    api.showQr(id, 2);
    await nextPoll();
    expect(qrImage()).toHaveAttribute('src', `data:image/png;base64,${fakeQr(2)}`);
  });

  it('offers "New code" when the runner reports qr_expired', async () => {
    const { api, user } = startApp({ prepare: (a) => a.addSession({ status: 'qr_expired' }) });
    await nextPoll();
    expect(settings().getByText('Code expired', { selector: 'strong' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    // Opening the dialog on an ended session restarts it at once: the user asked to connect.
    expect(api.callsTo('POST', /\/restart$/)).toHaveLength(1);
    expect(inDialog().getByRole('status')).toHaveTextContent('Starting…');
    expect(api.callsTo('POST', '/api/sessions/create')).toHaveLength(0);
  });

  it('a double click starts one session, not two', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.dblClick(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    expect(api.callsTo('POST', '/api/sessions/create')).toHaveLength(1);
  });

  it('warns when no runner picks the session up, and "Try again" restarts it', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(46_000);
    expect(inDialog().getByRole('status')).toHaveTextContent('Still starting…');
    expect(inDialog().getByRole('status')).toHaveTextContent(/runner/);
    await user.click(inDialog().getByRole('button', { name: 'Try again' }));
    expect(api.callsTo('POST', /\/restart$/)).toHaveLength(1);
  });
});

describe('Link with a phone number (pairing code)', () => {
  it('validates the number, replaces the unscanned QR session and shows the pairing code', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    const qrSession = api.only();
    api.showQr(qrSession.id, 1);
    await nextPoll();

    await user.click(inDialog().getByRole('button', { name: 'Link with phone number instead' }));
    const input = inDialog().getByLabelText('Phone number of the WhatsApp account');
    expect(input).toHaveFocus();
    await user.type(input, '12');
    await user.click(inDialog().getByRole('button', { name: 'Get pairing code' }));
    expect(inDialog().getByRole('alert')).toHaveTextContent('country code');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(api.callsTo('POST', '/api/sessions/create')).toHaveLength(1);

    await user.clear(input);
    await user.type(input, '+44 7700 900123{Enter}');
    expect(api.callsTo('DELETE', `/api/sessions/${qrSession.id}`)).toHaveLength(1);
    const creates = api.callsTo('POST', '/api/sessions/create');
    expect(creates).toHaveLength(2);
    expect(creates[1].body).toEqual({ chatbot_id: qrSession.chatbot_id, phone_number: '447700900123' });

    const pairing = api.only();
    api.update(pairing.id, {
      status: 'qr_ready',
      pairing_code: 'K7XQ2M9P',
      qr_expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    await nextPoll();
    expect(inDialog().getByRole('status')).toHaveTextContent('Enter the pairing code');
    expect(inDialog().getByText('K7XQ-2M9P')).toBeInTheDocument();
    expect(inDialog().getByRole('timer')).toBeInTheDocument();
    expect(inDialog().queryByRole('img')).not.toBeInTheDocument();

    api.connect(pairing.id, '447700900123');
    await nextPoll();
    expect(inDialog().getByText('+447700900123')).toBeInTheDocument();
  });

  it('goes back to a QR code with "Scan a QR code instead"', async () => {
    const { api, user } = startApp({
      prepare: (a) =>
        a.addSession({ status: 'qr_ready', pairing_code: 'ABCD1234', qr_expires_at: new Date(Date.now() + 60_000).toISOString() }),
    });
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    expect(inDialog().getByText('ABCD-1234')).toBeInTheDocument();
    await user.click(inDialog().getByRole('button', { name: 'Scan a QR code instead' }));
    const creates = api.callsTo('POST', '/api/sessions/create');
    expect(creates).toHaveLength(1);
    expect(creates[0].body).not.toHaveProperty('phone_number');
    expect(api.callsTo('DELETE', /\/api\/sessions\//)).toHaveLength(1);
  });
});

describe('Connected: disconnect and reconnect', () => {
  it('disconnects after confirmation and returns to the initial state', async () => {
    const { api, user } = startApp({
      prepare: (a) => a.connect(a.addSession().id, '15550001111'),
    });
    await nextPoll();
    expect(settings().getByText('Connected', { selector: 'strong' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Manage connection' }));
    expect(api.callsTo('POST', /\/restart$|\/create$/)).toHaveLength(0);

    await user.click(inDialog().getByRole('button', { name: 'Disconnect' }));
    const confirm = inDialog().getByRole('group', { name: 'Confirm disconnect' });
    await user.click(within(confirm).getByRole('button', { name: 'Yes, disconnect' }));
    const id = api.only().id;
    expect(api.callsTo('POST', '/api/sessions/disconnect').map((c) => c.body)).toEqual([{ session_id: id }]);
    expect(inDialog().getByRole('status')).toHaveTextContent('Disconnecting…');

    // What the runner leaves after a Disconnect: `disconnected`, no error, nothing running.
    api.update(id, { status: 'disconnected', last_error: null });
    await nextPoll();
    expect(inDialog().getByRole('status')).toHaveTextContent('Not connected');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(settings().getByText('Not connected', { selector: 'strong' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect WhatsApp' })).toBeEnabled();

    // Connecting again restarts the same session (its history stays) for a new QR code.
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    expect(api.callsTo('POST', `/api/sessions/${id}/restart`)).toHaveLength(1);
  });

  it('shows a dropped connection as reconnecting, with Reconnect to restart now', async () => {
    const { api, user } = startApp({
      prepare: (a) =>
        a.update(a.connect(a.addSession().id).id, {
          status: 'disconnected',
          last_error: 'WhatsApp Web was opened on another computer or browser',
        }),
    });
    await nextPoll();
    expect(settings().getByText('Reconnecting…', { selector: 'strong' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Manage connection' }));
    expect(inDialog().getByRole('status')).toHaveTextContent(/opened on another computer.*restored automatically/);
    await user.click(inDialog().getByRole('button', { name: 'Reconnect' }));
    expect(api.callsTo('POST', `/api/sessions/${api.only().id}/restart`)).toHaveLength(1);
    api.connect(api.only().id);
    await nextPoll();
    expect(inDialog().getByRole('status')).toHaveTextContent('Connected');
  });

  it('a session disconnected earlier (reloaded page) is the initial state, and Connect restarts it', async () => {
    const { api, user } = startApp({
      prepare: (a) => a.update(a.connect(a.addSession().id).id, { status: 'disconnected', last_error: null }),
    });
    await nextPoll();
    expect(settings().getByText('Not connected', { selector: 'strong' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    expect(api.callsTo('POST', `/api/sessions/${api.only().id}/restart`)).toHaveLength(1);
    expect(api.callsTo('POST', '/api/sessions/create')).toHaveLength(0);
  });

  it('explains a logout from the phone and connects again with a new code', async () => {
    const { api, user } = startApp({
      prepare: (a) => a.update(a.connect(a.addSession().id).id, { status: 'logged_out' }),
    });
    await nextPoll();
    expect(settings().getByText('Logged out', { selector: 'strong' })).toBeInTheDocument();
    expect(settings().getByText(/unlinked from this chatbot/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    expect(api.callsTo('POST', /\/restart$/)).toHaveLength(1);
    api.showQr(api.only().id, 3);
    await nextPoll();
    expect(qrImage()).toHaveAttribute('src', `data:image/png;base64,${fakeQr(3)}`);
  });

  it('shows a failed session with its last_error and "Try again"', async () => {
    const { api, user } = startApp({
      prepare: (a) => a.addSession({ status: 'failed', last_error: 'WhatsApp Web module WAWebSocketModel is missing' }),
    });
    await nextPoll();
    expect(settings().getByText(/WAWebSocketModel is missing/)).toBeInTheDocument();
    // The button restarts at once; the failure stays on screen until the runner answers.
    api.failNext('POST', /\/restart$/, 503, 'queue_unavailable', 'The command queue is unavailable.');
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    expect(inDialog().getByRole('alert')).toHaveTextContent("Couldn't start the connection: The wagate API failed");
    expect(inDialog().getByRole('alert')).toHaveTextContent('queue_unavailable');
    expect(inDialog().getByRole('status')).toHaveTextContent('Connection failed');
    await user.click(inDialog().getByRole('button', { name: 'Try again' }));
    await pass(0);
    expect(api.callsTo('POST', /\/restart$/)).toHaveLength(2);
    expect(inDialog().queryByRole('alert')).not.toBeInTheDocument();
  });
});

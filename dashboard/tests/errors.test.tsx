import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../src/App';
import { dialog, inDialog, nextPoll, pass, settings, startApp } from './harness';

describe('error states say what happened and what to do next', () => {
  it('network down: fetch rejects, the page says so, keeps retrying and recovers', async () => {
    const { api, user } = startApp({ prepare: (a) => a.connect(a.addSession().id) });
    await nextPoll();
    expect(settings().getByText('Connected', { selector: 'strong' })).toBeInTheDocument();

    api.offline = true;
    await nextPoll();
    const alert = settings().getAllByRole('alert')[0];
    expect(alert).toHaveTextContent("Can't reach the wagate API at http://api.test.");
    expect(alert).toHaveTextContent('Check your internet connection');
    // The last known state stays on screen.
    expect(settings().getByText('Connected', { selector: 'strong' })).toBeInTheDocument();

    // Backing off: over 10 s, fewer tries than one per poll interval.
    const before = api.calls.length;
    await pass(10_000);
    const tries = api.calls.length - before;
    expect(tries).toBeGreaterThan(0);
    expect(tries).toBeLessThan(2 * (10_000 / 1500));

    api.offline = false;
    await pass(16_000);
    expect(settings().queryByRole('alert')).not.toBeInTheDocument();

    // An action while offline reports its own failure in the dialog.
    await user.click(screen.getByRole('button', { name: 'Manage connection' }));
    api.offline = true;
    await user.click(inDialog().getByRole('button', { name: 'Disconnect' }));
    await user.click(inDialog().getByRole('button', { name: 'Yes, disconnect' }));
    await pass(0);
    expect(inDialog().getAllByRole('alert').map((a) => a.textContent).join(' ')).toContain(
      "Couldn't disconnect: Can't reach the wagate API",
    );
    // Nothing was disconnected, so the dialog still offers it.
    expect(inDialog().getByRole('status')).toHaveTextContent('Connected');
    expect(inDialog().getByRole('button', { name: 'Disconnect' })).toBeInTheDocument();
  });

  it('401: asks to sign in again and stops polling', async () => {
    const { api } = startApp({ accessToken: 'expired-token' });
    await nextPoll();
    expect(api.calls[0].authorization).toBe('Bearer expired-token');
    expect(settings().getByRole('alert')).toHaveTextContent('Your sign-in has expired or is not valid.');
    expect(settings().getByRole('alert')).toHaveTextContent('Sign in again');
    expect(screen.getByRole('button', { name: 'Connect WhatsApp' })).toBeDisabled();
    const calls = api.calls.length;
    await pass(10_000);
    expect(api.calls.length).toBe(calls);
  });

  it('a 401 on an action shows the sign-in notice in the dialog', async () => {
    const { api, user } = startApp();
    await nextPoll();
    api.failNext('POST', /\/create$/, 401, 'token_expired', 'The access token has expired.');
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    expect(dialog()).toHaveTextContent('Your sign-in has expired or is not valid.');
    expect(inDialog().getByRole('button', { name: 'Get a QR code' })).toBeDisabled();
  });

  it('an API error names its code and message', async () => {
    const { api, user } = startApp();
    await nextPoll();
    api.failNext('POST', /\/create$/, 409, 'session_limit', 'This chatbot already has the most sessions allowed.');
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    const alert = inDialog().getByRole('alert');
    expect(alert).toHaveTextContent(
      "Couldn't start the connection: This chatbot already has the most sessions allowed. (session_limit).",
    );
    await user.click(inDialog().getByRole('button', { name: 'Dismiss' }));
    expect(inDialog().queryByRole('alert')).not.toBeInTheDocument();
    await user.click(inDialog().getByRole('button', { name: 'Get a QR code' }));
    await pass(0);
    expect(api.callsTo('POST', '/api/sessions/create')).toHaveLength(2);
  });

  it('without a token the demo app says to run make up, and calls nothing', () => {
    render(<App config={{ apiUrl: 'http://127.0.0.1:3001', accessToken: '', chatbotId: 'x', userEmail: '' }} />);
    expect(screen.getByRole('alert')).toHaveTextContent('No token: run make up.');
    expect(screen.queryByRole('button', { name: 'Connect WhatsApp' })).not.toBeInTheDocument();
  });
});

import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { dialog, inDialog, nextPoll, pass, startApp } from './harness';

describe('keyboard and screen readers', () => {
  it('traps focus in the dialog, closes on Escape and returns focus to the opener', async () => {
    const { api, user } = startApp({ prepare: (a) => a.connect(a.addSession().id) });
    await nextPoll();
    const opener = screen.getByRole('button', { name: 'Manage connection' });
    opener.focus();
    await user.keyboard('{Enter}');
    expect(dialog()).toHaveAttribute('aria-modal', 'true');
    expect(dialog()).toHaveAccessibleDescription(/Connected/);
    const close = inDialog().getByRole('button', { name: 'Close' });
    const done = inDialog().getByRole('button', { name: 'Done' });
    const disconnect = inDialog().getByRole('button', { name: 'Disconnect' });
    expect(close).toHaveFocus();

    await user.tab();
    expect(done).toHaveFocus();
    await user.tab();
    expect(disconnect).toHaveFocus();
    await user.tab(); // wraps around: the page behind is unreachable
    expect(close).toHaveFocus();
    await user.tab({ shift: true });
    expect(disconnect).toHaveFocus();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
    expect(api.callsTo('POST', '/api/sessions/disconnect')).toHaveLength(0);
  });

  it('returns focus to the opener also when the dialog reopens at its phone number step (whose field takes the focus)', async () => {
    const { api, user } = startApp();
    await nextPoll();
    const opener = screen.getByRole('button', { name: 'Connect WhatsApp' });
    opener.focus();
    await user.keyboard('{Enter}');
    await pass(0);
    api.showQr(api.only().id, 1);
    await nextPoll();
    await user.click(inDialog().getByRole('button', { name: 'Link with phone number instead' }));
    await user.keyboard('{Escape}');
    expect(opener).toHaveFocus();

    await user.keyboard('{Enter}');
    await pass(0);
    expect(inDialog().getByRole('textbox')).toBeInTheDocument(); // its autoFocus ran before the dialog's effect
    await user.click(inDialog().getByRole('button', { name: 'Cancel' })); // the field is gone
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it('announces status changes politely and labels the QR code and the timer', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    const status = inDialog().getByRole('status');
    expect(status).toHaveAttribute('aria-live', 'polite');
    api.showQr(api.only().id, 1);
    await nextPoll();
    expect(status).toHaveTextContent('Scan the QR code');
    expect(inDialog().getByRole('img')).toHaveAccessibleName(/scan it with WhatsApp on your phone/);
    // The countdown is a timer, not a live region: it is not read out every second.
    expect(inDialog().getByRole('timer')).toHaveAttribute('aria-live', 'off');
  });

  it('every control has an accessible name, and the backdrop click closes', async () => {
    const { user } = startApp();
    await nextPoll();
    await user.click(screen.getByRole('button', { name: 'Connect WhatsApp' }));
    await pass(0);
    await user.click(inDialog().getByRole('button', { name: 'Link with phone number instead' }));
    for (const control of [...inDialog().getAllByRole('button'), inDialog().getByRole('textbox')]) {
      expect(control).toHaveAccessibleName();
    }
    expect(inDialog().getByRole('textbox')).toHaveAccessibleDescription(/country code/);
    await user.click(document.querySelector('.wg-backdrop') as HTMLElement);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});

import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { CHATBOT_ID } from './fakeApi';
import { nextPoll, startApp } from './harness';

function section() {
  return screen.getByRole('region', { name: 'Signed calls to your chatbot' });
}

describe('the chatbot signing secret', () => {
  it('is not offered for a chatbot nobody has linked yet', async () => {
    startApp();
    await nextPoll();
    expect(screen.queryByRole('region', { name: 'Signed calls to your chatbot' })).toBeNull();
  });

  it('is made on request, shown once, and rotated with the old one still valid for a while', async () => {
    const { api, user } = startApp({ prepare: (a) => a.connect(a.addSession().id) });
    await nextPoll();
    expect(section()).toHaveTextContent('No signing secret yet');

    await user.click(within(section()).getByRole('button', { name: 'Make a signing secret' }));
    const shown = (await within(section()).findByLabelText('New signing secret: shown this once')) as HTMLInputElement;
    const first = shown.value;
    expect(first).toBe(api.secrets.get(CHATBOT_ID));
    expect(first.startsWith('whsec_')).toBe(true);
    expect(section()).toHaveTextContent('Signing secret made');
    expect(api.callsTo('POST', `/api/chatbots/${CHATBOT_ID}/rotate-secret`)).toHaveLength(1);

    await user.click(within(section()).getByRole('button', { name: 'Rotate signing secret' }));
    await nextPoll();
    const second = within(section()).getByLabelText('New signing secret: shown this once') as HTMLInputElement;
    expect(second.value).toBe(api.secrets.get(CHATBOT_ID));
    expect(second.value).not.toBe(first);
    expect(section()).toHaveTextContent('The previous one still verifies until');
    expect(section()).toHaveTextContent('Calls carry both signatures until');
  });

  it('says what went wrong when the API refuses', async () => {
    const { api, user } = startApp({ prepare: (a) => a.connect(a.addSession().id) });
    await nextPoll();
    api.failNext('POST', /rotate-secret$/, 404, 'chatbot_not_found', 'no such chatbot');
    await user.click(within(section()).getByRole('button', { name: 'Make a signing secret' }));
    expect(await within(section()).findByRole('alert')).toHaveTextContent('This chatbot does not exist. (chatbot_not_found)');
    expect(within(section()).queryByLabelText('New signing secret: shown this once')).toBeNull();
  });
});

import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { nextPoll, pass, POLL_MS, startApp } from './harness';

function section() {
  return within(screen.getByRole('region', { name: 'Webhooks' }));
}

function form() {
  return within(screen.getByRole('region', { name: 'Add an endpoint' }));
}

function endpoint(url: string) {
  return within(section().getByRole('article', { name: url }));
}

function deliveries(url: string) {
  return endpoint(url).getAllByRole('listitem').filter((li) => li.hasAttribute('data-delivery-id'));
}

const HOUR = 3_600_000;

describe('the Webhooks section: the list', () => {
  it('shows each endpoint with its events and whether it is working, failing or disabled', async () => {
    startApp({
      prepare: (a) => {
        a.webhooks.add({ url: 'https://crm.example.com/in', events: ['message.received', 'message.sent'], description: 'CRM' });
        a.webhooks.add({ url: 'https://slow.example.com/in', failing_since: new Date(Date.now() - 2 * HOUR).toISOString() });
        a.webhooks.add({
          url: 'https://old.example.com/in',
          enabled: false,
          disabled_reason: 'no delivery succeeded for 5 days',
          disabled_at: new Date(Date.now() - HOUR).toISOString(),
        });
      },
    });
    await nextPoll();
    const crm = endpoint('https://crm.example.com/in');
    expect(crm.getByText('Enabled')).toBeInTheDocument();
    expect(crm.getByText('message.received')).toBeInTheDocument();
    expect(crm.getByText('message.sent')).toBeInTheDocument();
    expect(crm.getByText('CRM')).toBeInTheDocument();
    expect(crm.getByText('All your WhatsApp sessions')).toBeInTheDocument();

    const slow = endpoint('https://slow.example.com/in');
    expect(slow.getByText('Failing')).toBeInTheDocument();
    expect(slow.getByText(/No delivery has succeeded since .*After 5 days without one/)).toBeInTheDocument();

    const old = endpoint('https://old.example.com/in');
    expect(old.getByText('Disabled')).toBeInTheDocument();
    expect(old.getByText(/Disabled since .*: no delivery succeeded for 5 days\./)).toBeInTheDocument();
    expect(old.getByRole('button', { name: 'Enable' })).toBeInTheDocument();
  });

  it('says so when there are none, and never asks for a secret', async () => {
    const { api } = startApp();
    await nextPoll();
    expect(section().getByText('No endpoints yet. Add one below.')).toBeInTheDocument();
    expect(api.callsTo('GET', '/api/webhooks')).toHaveLength(1);
    // The list changes mostly by the user's own actions: it is looked at again only now and then.
    await pass(5 * POLL_MS);
    expect(api.callsTo('GET', '/api/webhooks')).toHaveLength(1);
    await pass(6 * POLL_MS);
    expect(api.callsTo('GET', '/api/webhooks')).toHaveLength(2);
  });
});

describe('the Webhooks section: adding an endpoint', () => {
  it('checks the form, creates the endpoint and shows its secret once, to copy', async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.click(form().getByRole('button', { name: 'Add endpoint' }));
    await pass(0);
    expect(form().getByText('Enter the full address of your endpoint, starting with https://')).toBeInTheDocument();
    expect(form().getByLabelText('Endpoint URL')).toHaveAttribute('aria-invalid', 'true');
    expect(form().getByLabelText('Endpoint URL')).toHaveAccessibleDescription(/starting with https:\/\//);
    expect(form().getByText('Choose at least one event.')).toBeInTheDocument();
    expect(api.callsTo('POST', '/api/webhooks')).toHaveLength(0);

    await user.type(form().getByLabelText('Endpoint URL'), ' https://crm.example.com/hooks ');
    await user.click(form().getByRole('checkbox', { name: 'message.sent' }));
    await user.click(form().getByRole('checkbox', { name: 'message.received' }));
    expect(form().getByRole('checkbox', { name: 'message.received' })).toHaveAccessibleDescription('A customer wrote to a connected number.');
    await user.type(form().getByLabelText('Description (optional)'), 'CRM sync');
    await user.click(form().getByRole('button', { name: 'Add endpoint' }));
    await pass(0);

    const creates = api.callsTo('POST', '/api/webhooks');
    expect(creates).toHaveLength(1);
    // Trimmed, and the events in the API's order whatever the order they were ticked in.
    expect(creates[0].body).toEqual({
      url: 'https://crm.example.com/hooks',
      events: ['message.received', 'message.sent'],
      description: 'CRM sync',
    });
    const made = [...api.webhooks.endpoints.values()][0];
    const secret = api.webhooks.secrets.get(made.id)!;
    const shown = form().getByLabelText('Signing secret of the new endpoint: shown this once') as HTMLInputElement;
    expect(shown.value).toBe(secret);
    expect(secret.startsWith('whsec_')).toBe(true);
    expect(shown.closest('[role="status"]')).toHaveTextContent('it will not be shown again');

    await user.click(form().getByRole('button', { name: 'Copy' }));
    await pass(0);
    expect(form().getByRole('button', { name: 'Copied' })).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(secret);

    // The form is ready for the next one; the endpoint is listed, without its secret.
    expect(form().getByLabelText('Endpoint URL')).toHaveValue('');
    expect(form().getByRole('checkbox', { name: 'message.received' })).not.toBeChecked();
    const item = section().getByRole('article', { name: 'https://crm.example.com/hooks' });
    expect(item).toHaveTextContent('CRM sync');
    expect(item).not.toHaveTextContent(secret);
  });

  it("shows the API's reason next to the form and marks the address", async () => {
    const { api, user } = startApp();
    await nextPoll();
    await user.type(form().getByLabelText('Endpoint URL'), 'http://169.254.169.254/latest');
    await user.click(form().getByRole('checkbox', { name: 'session.status' }));
    await user.click(form().getByRole('button', { name: 'Add endpoint' }));
    await pass(0);
    const alert = form().getByRole('alert');
    // The code in the user's words, and the guard's reason as the API gave it.
    expect(alert).toHaveTextContent("Couldn't add the endpoint: This address is not allowed. (endpoint_not_allowed).");
    expect(alert).toHaveTextContent('The API says: the address 169.254.169.254 is link-local: not allowed');
    const url = form().getByLabelText('Endpoint URL');
    expect(url).toHaveAttribute('aria-invalid', 'true');
    expect(url).toHaveAccessibleDescription(/link-local: not allowed/);
    expect(url).toHaveValue('http://169.254.169.254/latest'); // kept, to fix
    expect(form().queryByLabelText(/shown this once/)).toBeNull();

    api.failNext('POST', /^\/api\/webhooks$/, 409, 'too_many_webhooks', 'at most 10 webhook endpoints per user: delete one first');
    await user.clear(url);
    await user.type(url, 'https://ok.example.com/');
    await user.click(form().getByRole('button', { name: 'Add endpoint' }));
    await pass(0);
    expect(form().getByRole('alert')).toHaveTextContent('You have the most endpoints allowed: delete one first. (too_many_webhooks)');
    expect(url).not.toHaveAttribute('aria-invalid');
    expect(api.webhooks.endpoints.size).toBe(0);
  });
});

describe('the Webhooks section: one endpoint', () => {
  const URL = 'https://crm.example.com/in';

  it('rotates the secret, shown once, the previous one still signing for a day', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    await user.click(endpoint(URL).getByRole('button', { name: 'Rotate secret' }));
    await pass(0);
    const id = [...api.webhooks.endpoints.keys()][0];
    const shown = endpoint(URL).getByLabelText('New signing secret: shown this once') as HTMLInputElement;
    expect(shown.value).toBe(api.webhooks.secrets.get(id));
    expect(shown.closest('[role="status"]')).toHaveTextContent(/will not be shown again.*both signatures until/);
    expect(endpoint(URL).getByText(/The previous one still signs until/)).toBeInTheDocument();
    expect(api.callsTo('POST', `/api/webhooks/${id}/rotate-secret`)).toHaveLength(1);
  });

  it('sends a test event and shows its delivery, live, until it is delivered', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    const id = [...api.webhooks.endpoints.keys()][0];
    const toggle = endpoint(URL).getByRole('button', { name: 'Deliveries' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');

    await user.click(endpoint(URL).getByRole('button', { name: 'Send test event' }));
    await pass(0);
    expect(api.callsTo('POST', `/api/webhooks/${id}/test`)).toHaveLength(1);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const live = endpoint(URL).getAllByRole('status').find((s) => s.getAttribute('aria-live') === 'polite')!;
    expect(live).toHaveTextContent('Test event sent (ping)');
    const [pending] = deliveries(URL);
    expect(pending).toHaveTextContent('ping');
    expect(pending).toHaveTextContent('Pending');
    expect(within(pending).queryByRole('button', { name: 'Retry' })).toBeNull();

    const delivery = api.webhooks.deliveries.get(id)![0];
    api.webhooks.deliver(id, delivery.id, 204, 35);
    await nextPoll();
    const [delivered] = deliveries(URL);
    expect(delivered).toHaveTextContent('Delivered');
    expect(delivered).toHaveTextContent('1 attempt · last answer: HTTP 204');
    await user.click(within(delivered).getByRole('button', { name: 'Attempt log' }));
    expect(within(delivered).getByRole('list', { name: 'Attempts, oldest first' })).toHaveTextContent(/Attempt 1, .*: HTTP 204 in 35 ms/);
    expect(delivered).toHaveTextContent(delivery.event_id);

    // With the deliveries shown, the next test event's delivery is looked for at once.
    const looks = api.callsTo('GET', /\/deliveries$/).length;
    await user.click(endpoint(URL).getByRole('button', { name: 'Send test event' }));
    await pass(0);
    expect(api.callsTo('GET', /\/deliveries$/)).toHaveLength(looks + 1);
    expect(deliveries(URL).map((li) => within(li).getByText(/^(Pending|Delivered)$/).textContent)).toEqual(['Pending', 'Delivered']);
  });

  it('disables and enables it again', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    const id = [...api.webhooks.endpoints.keys()][0];
    await user.click(endpoint(URL).getByRole('button', { name: 'Disable' }));
    await pass(0);
    expect(api.callsTo('PATCH', `/api/webhooks/${id}`).map((c) => c.body)).toEqual([{ enabled: false }]);
    expect(endpoint(URL).getByText('Disabled')).toBeInTheDocument();
    expect(endpoint(URL).getByText(/: disabled by its owner\. New events wait/)).toBeInTheDocument();
    expect(endpoint(URL).getByText('Disabled: new events wait until you enable it again.')).toBeInTheDocument();

    await user.click(endpoint(URL).getByRole('button', { name: 'Enable' }));
    await pass(0);
    expect(api.callsTo('PATCH', `/api/webhooks/${id}`).map((c) => c.body)).toEqual([{ enabled: false }, { enabled: true }]);
    expect(endpoint(URL).getByText('Enabled')).toBeInTheDocument();
  });

  it('deletes it after confirmation', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    await user.click(endpoint(URL).getByRole('button', { name: 'Delete' }));
    const confirm = endpoint(URL).getByRole('group', { name: 'Confirm delete' });
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(api.callsTo('DELETE', /^\/api\/webhooks\//)).toHaveLength(0);

    await user.click(endpoint(URL).getByRole('button', { name: 'Delete' }));
    await user.click(endpoint(URL).getByRole('button', { name: 'Yes, delete' }));
    await pass(0);
    expect(api.callsTo('DELETE', /^\/api\/webhooks\//)).toHaveLength(1);
    expect(section().queryByRole('article')).toBeNull();
    expect(section().getByText('No endpoints yet. Add one below.')).toBeInTheDocument();
    expect(section().getByText(`Endpoint ${URL} deleted.`)).toBeInTheDocument();
    expect(section().getByRole('heading', { name: 'Your endpoints' })).toHaveFocus();
    // A later look-up agrees.
    await pass(11 * POLL_MS);
    expect(section().queryByRole('article')).toBeNull();
  });

  it('says why an action failed', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    api.failNext('POST', /\/test$/, 503, 'unavailable', 'The database is not answering.');
    await user.click(endpoint(URL).getByRole('button', { name: 'Send test event' }));
    await pass(0);
    expect(endpoint(URL).getByRole('alert')).toHaveTextContent(
      "Couldn't send a test event: The wagate API failed: The database is not answering. (unavailable).",
    );
    await user.click(endpoint(URL).getByRole('button', { name: 'Dismiss' }));
    expect(endpoint(URL).queryByRole('alert')).toBeNull();
  });
});

describe('the Webhooks section: deliveries', () => {
  const URL = 'https://crm.example.com/in';
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it('lists them newest first with state, attempts and last answer; retries the finished ones', async () => {
    const { api, user } = startApp({
      prepare: (a) => {
        const hook = a.webhooks.add({ url: URL });
        a.webhooks.addDelivery(hook.id, {
          id: 'dlv-failed',
          event_type: 'message.failed',
          status: 'failed',
          attempts: 8,
          last_status_code: 500,
          last_error: 'the endpoint answered 500',
          created_at: minutesAgo(30),
          attempt_log: [{ attempt: 8, at: minutesAgo(1), status_code: 500, latency_ms: 80, error: 'the endpoint answered 500' }],
        });
        a.webhooks.addDelivery(hook.id, {
          id: 'dlv-retrying',
          event_type: 'message.received',
          status: 'pending',
          attempts: 2,
          last_error: 'connection refused',
          next_attempt_at: new Date(Date.now() + 5 * 60_000).toISOString(),
          created_at: minutesAgo(10),
          attempt_log: [
            { attempt: 1, at: minutesAgo(10), status_code: null, latency_ms: null, error: 'connection refused' },
            { attempt: 2, at: minutesAgo(9), status_code: null, latency_ms: null, error: 'connection refused' },
          ],
        });
        a.webhooks.addDelivery(hook.id, { id: 'dlv-delivered', event_type: 'session.status', status: 'delivered', attempts: 1, last_status_code: 200, created_at: minutesAgo(1) });
      },
    });
    await nextPoll();
    await user.click(endpoint(URL).getByRole('button', { name: 'Deliveries' }));
    await pass(0);
    const items = deliveries(URL);
    expect(items.map((li) => li.getAttribute('data-delivery-id'))).toEqual(['dlv-delivered', 'dlv-retrying', 'dlv-failed']);
    const [delivered, retrying, failed] = items;
    expect(delivered).toHaveTextContent('session.status');
    expect(delivered).toHaveTextContent('Delivered');
    expect(retrying).toHaveTextContent('Retrying');
    expect(retrying).toHaveTextContent(/Next attempt /);
    expect(retrying).toHaveTextContent('2 attempts · last answer: connection refused');
    expect(failed).toHaveTextContent('Failed');
    expect(failed).toHaveTextContent('Gave up after 8 attempts');
    expect(failed).toHaveTextContent('last answer: HTTP 500 · the endpoint answered 500');
    expect(within(retrying).queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(within(delivered).getByRole('button', { name: 'Retry' })).toBeInTheDocument();

    await user.click(within(retrying).getByRole('button', { name: 'Attempt log' }));
    expect(within(retrying).getByRole('button', { name: 'Attempt log' })).toHaveAttribute('aria-expanded', 'true');
    const log = within(retrying).getByRole('list', { name: 'Attempts, oldest first' });
    expect(within(log).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringMatching(/^Attempt 1, .*: No answer · connection refused$/),
      expect.stringMatching(/^Attempt 2, .*: No answer · connection refused$/),
    ]);

    await user.click(within(failed).getByRole('button', { name: 'Retry' }));
    await pass(0);
    expect(api.callsTo('POST', `/api/webhooks/${[...api.webhooks.endpoints.keys()][0]}/deliveries/dlv-failed/retry`)).toHaveLength(1);
    expect(deliveries(URL)[2]).toHaveTextContent('Retrying');
    expect(within(deliveries(URL)[2]).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('says when a retry is refused because the delivery is still being attempted', async () => {
    const { api, user } = startApp({
      prepare: (a) => a.webhooks.addDelivery(a.webhooks.add({ url: URL }).id, { id: 'dlv-1', status: 'failed', attempts: 8 }),
    });
    await nextPoll();
    await user.click(endpoint(URL).getByRole('button', { name: 'Deliveries' }));
    await pass(0);
    api.failNext('POST', /\/retry$/, 409, 'delivery_in_progress', 'the delivery is still being attempted');
    await user.click(within(deliveries(URL)[0]).getByRole('button', { name: 'Retry' }));
    await pass(0);
    expect(endpoint(URL).getByRole('alert')).toHaveTextContent(
      "Couldn't retry the delivery: The delivery is still being attempted. (delivery_in_progress).",
    );
  });

  it('loads older pages with the cursor', async () => {
    const { api, user } = startApp({
      prepare: (a) => {
        const hook = a.webhooks.add({ url: URL });
        for (let i = 0; i < 25; i += 1) {
          a.webhooks.addDelivery(hook.id, { id: `dlv-${String(i).padStart(2, '0')}`, status: 'delivered', attempts: 1, created_at: minutesAgo(100 - i) });
        }
      },
    });
    await nextPoll();
    await user.click(endpoint(URL).getByRole('button', { name: 'Deliveries' }));
    await pass(0);
    expect(deliveries(URL)).toHaveLength(20);
    expect(deliveries(URL)[0]).toHaveAttribute('data-delivery-id', 'dlv-24');
    await user.click(endpoint(URL).getByRole('button', { name: 'Load more deliveries' }));
    await pass(0);
    const calls = api.callsTo('GET', /\/deliveries$/);
    expect(calls.at(-1)?.query.get('before')).toBe('dlv-05');
    expect(calls.at(-1)?.query.get('limit')).toBe('20');
    expect(deliveries(URL)).toHaveLength(25);
    expect(deliveries(URL).at(-1)).toHaveAttribute('data-delivery-id', 'dlv-00');
    expect(endpoint(URL).queryByRole('button', { name: 'Load more deliveries' })).toBeNull();
  });

  it('polls only while shown', async () => {
    const { api, user } = startApp({ prepare: (a) => a.webhooks.add({ url: URL }) });
    await nextPoll();
    expect(api.callsTo('GET', /\/deliveries$/)).toHaveLength(0);
    await user.click(endpoint(URL).getByRole('button', { name: 'Deliveries' }));
    await pass(3 * POLL_MS);
    const polls = api.callsTo('GET', /\/deliveries$/).length;
    expect(polls).toBeGreaterThanOrEqual(3);
    await user.click(endpoint(URL).getByRole('button', { name: 'Deliveries' }));
    await pass(3 * POLL_MS);
    expect(api.callsTo('GET', /\/deliveries$/)).toHaveLength(polls);
  });
});

describe('the Webhooks section: accessibility', () => {
  it('every control has an accessible name', async () => {
    const { user } = startApp({
      prepare: (a) => a.webhooks.addDelivery(a.webhooks.add({ url: 'https://a.example.com/' }).id, { status: 'failed', attempts: 1 }),
    });
    await nextPoll();
    await user.click(section().getByRole('button', { name: 'Deliveries' }));
    await pass(0);
    const controls = [
      ...section().getAllByRole('button'),
      ...section().getAllByRole('checkbox'),
      ...section().getAllByRole('textbox'),
    ];
    expect(controls.length).toBeGreaterThan(15);
    for (const control of controls) expect(control).toHaveAccessibleName();
    expect(section().getByRole('group', { name: 'Events to send' })).toBeInTheDocument();
  });
});

// The fake API's answers (tests/fakeApi.ts, tests/fakeWebhooks.ts) and its ids.

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function error(status: number, code: string, message: string): Response {
  return json(status, { error: { code, message } });
}

let counter = 0;
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${String(counter).padStart(4, '0')}`;
}

// @vitest-environment node
// The client against the API's real OpenAPI document: exported from api_lambda/chalicelib with
// the project's Python, or read from WAGATE_OPENAPI (a JSON file, or a URL such as
// http://127.0.0.1:3001/api/openapi.json of a running API).

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkClientAgainstOpenApi } from './openapiContract';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXPORT = [
  'import json, sys',
  "sys.path[:0] = ['.', 'api_lambda']",
  'from chalicelib.openapi import OPENAPI',
  'print(json.dumps(OPENAPI))',
].join('; ');

async function loadApiDocument(): Promise<{ doc: Record<string, any>; source: string }> {
  const configured = process.env.WAGATE_OPENAPI;
  if (configured && /^https?:\/\//.test(configured)) {
    const response = await fetch(configured);
    if (!response.ok) throw new Error(`${configured} answered ${response.status}`);
    return { doc: await response.json(), source: configured };
  }
  if (configured) return { doc: JSON.parse(readFileSync(configured, 'utf8')), source: configured };
  const python =
    process.env.WAGATE_PYTHON ?? [join(REPO, '.venv/bin/python'), '/usr/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
  const out = execFileSync(python, ['-c', EXPORT], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
  return { doc: JSON.parse(out), source: `${python}: chalicelib.openapi.OPENAPI` };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('the API client matches the OpenAPI document the API serves', () => {
  let doc: Record<string, any>;
  let source = '';

  beforeAll(async () => {
    ({ doc, source } = await loadApiDocument());
  });

  it('every path, method, parameter, field and status value the client uses is documented', () => {
    expect(source).not.toBe('');
    expect(checkClientAgainstOpenApi(doc)).toEqual([]);
  });

  it('the check notices drift: a renamed field, a missing route, a new status', () => {
    const renamed = clone(doc);
    renamed.components.schemas.Session.properties.qr_png = renamed.components.schemas.Session.properties.qr_code;
    delete renamed.components.schemas.Session.properties.qr_code;
    expect(checkClientAgainstOpenApi(renamed)).toContain('schema Session: field qr_code is not documented');

    const noRestart = clone(doc);
    delete noRestart.paths['/api/sessions/{id}/restart'];
    expect(checkClientAgainstOpenApi(noRestart)).toContain('POST /api/sessions/{id}/restart (restart): no such operation');

    const newStatus = clone(doc);
    newStatus.components.schemas.Session.properties.status.enum.push('paused');
    expect(checkClientAgainstOpenApi(newStatus).join('\n')).toMatch(/^Session.status: /m);

    const newRequiredField = clone(doc);
    newRequiredField.components.schemas.CreateSessionRequest.required.push('region');
    newRequiredField.components.schemas.CreateSessionRequest.properties.region = { type: 'string' };
    expect(checkClientAgainstOpenApi(newRequiredField)).toContain(
      'POST /api/sessions/create (createSession): required body field region is not always sent',
    );

    const noPng = clone(doc);
    noPng.paths['/api/sessions/{id}/qr'].get.responses['200'].content = { 'application/json': { schema: {} } };
    expect(checkClientAgainstOpenApi(noPng)).toContain('GET /api/sessions/{id}/qr (getQr): no image/png response');
  });

  it('notices webhook drift too: a new event type, a delivery status, a retry route, an attempt field', () => {
    const newEvent = clone(doc);
    newEvent.components.schemas.CreateWebhookRequest.properties.events.items.enum.push('message.edited');
    expect(checkClientAgainstOpenApi(newEvent).join('\n')).toMatch(/^CreateWebhookRequest.events: /m);

    const newStatus = clone(doc);
    newStatus.components.schemas.WebhookDelivery.properties.status.enum.push('abandoned');
    expect(checkClientAgainstOpenApi(newStatus).join('\n')).toMatch(/^WebhookDelivery.status: /m);

    const noRetry = clone(doc);
    delete noRetry.paths['/api/webhooks/{id}/deliveries/{delivery_id}/retry'];
    expect(checkClientAgainstOpenApi(noRetry)).toContain(
      'POST /api/webhooks/{id}/deliveries/{delivery_id}/retry (retryWebhookDelivery): no such operation',
    );

    const noLatency = clone(doc);
    delete noLatency.components.schemas.WebhookDelivery.properties.attempt_log.items.properties.latency_ms;
    expect(checkClientAgainstOpenApi(noLatency)).toContain('schema WebhookDelivery: attempt_log[].latency_ms is not documented');

    const optionalEnabled = clone(doc);
    optionalEnabled.components.schemas.Webhook.required = optionalEnabled.components.schemas.Webhook.required.filter(
      (field: string) => field !== 'enabled',
    );
    expect(checkClientAgainstOpenApi(optionalEnabled)).toContain('schema Webhook: the client relies on enabled, which is not required');
  });

  it("notices drift in the operator's routes: a missing fleet, a new stuck reason, an optional alive", () => {
    const noFleet = clone(doc);
    delete noFleet.paths['/api/admin/fleet'];
    expect(checkClientAgainstOpenApi(noFleet)).toContain('GET /api/admin/fleet (adminFleet): no such operation');

    const newReason = clone(doc);
    newReason.components.schemas.AdminSession.properties.reason.enum.push('runner_gone');
    expect(checkClientAgainstOpenApi(newReason).join('\n')).toMatch(/^AdminSession.reason: /m);

    const optionalAlive = clone(doc);
    optionalAlive.components.schemas.AdminRunner.required = optionalAlive.components.schemas.AdminRunner.required.filter(
      (field: string) => field !== 'alive',
    );
    expect(checkClientAgainstOpenApi(optionalAlive)).toContain('schema AdminRunner: the client relies on alive, which is not required');
  });
});

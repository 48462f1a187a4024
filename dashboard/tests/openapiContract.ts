// Checks the dashboard's endpoint table (src/api/endpoints.ts) against an OpenAPI 3 document:
// every path, method, success status, path and query parameter, body field, response field and
// status value the client uses must be there, and every field the client relies on must be
// required. Returns the problems found, one sentence each (none when the two agree).

import {
  ATTEMPT_FIELDS,
  ATTEMPT_REQUIRED,
  ENDPOINTS,
  SCHEMA_FIELDS,
  type Endpoint,
  type FieldShape,
  type SchemaName,
} from '../src/api/endpoints';
import { DELIVERY_STATUSES, MESSAGE_STATUSES, SESSION_STATUSES, STUCK_REASONS, WEBHOOK_EVENT_TYPES } from '../src/api/types';

type Json = Record<string, unknown>;

function obj(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

export function checkClientAgainstOpenApi(doc: unknown, endpoints: Record<string, Endpoint> = ENDPOINTS): string[] {
  const problems: string[] = [];
  const root = obj(doc);
  const schemas = obj(obj(root.components).schemas);

  const resolve = (schema: unknown): Json => {
    const ref = obj(schema).$ref;
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/schemas/', '');
      if (!(name in schemas)) problems.push(`$ref ${ref} names no schema`);
      return obj(schemas[name]);
    }
    return obj(schema);
  };
  const refName = (schema: unknown): string | null => {
    const ref = obj(schema).$ref;
    return typeof ref === 'string' ? ref.replace('#/components/schemas/', '') : null;
  };
  const expectSchema = (where: string, schema: unknown, name: SchemaName) => {
    const actual = refName(schema);
    if (actual !== name) problems.push(`${where} is ${actual ? `schema ${actual}` : 'not a $ref'}, the client expects ${name}`);
  };

  if (!String(root.openapi ?? '').startsWith('3.')) problems.push('not an OpenAPI 3 document');

  for (const [name, endpoint] of Object.entries(endpoints)) {
    const label = `${endpoint.method} ${endpoint.path} (${name})`;
    const pathItem = obj(obj(root.paths)[endpoint.path]);
    const operation = obj(pathItem[endpoint.method.toLowerCase()]);
    if (Object.keys(operation).length === 0) {
      problems.push(`${label}: no such operation`);
      continue;
    }
    const parameters = [
      ...((pathItem.parameters as unknown[]) ?? []),
      ...((operation.parameters as unknown[]) ?? []),
    ].map(obj);
    for (const [, param] of endpoint.path.matchAll(/\{(\w+)\}/g)) {
      if (!parameters.some((p) => p.in === 'path' && p.name === param)) problems.push(`${label}: path parameter ${param} is not declared`);
    }
    for (const param of endpoint.query ?? []) {
      if (!parameters.some((p) => p.in === 'query' && p.name === param)) problems.push(`${label}: query parameter ${param} is not declared`);
    }
    const requiredParams = parameters.filter((p) => p.in === 'query' && p.required === true).map((p) => String(p.name));
    for (const param of requiredParams) {
      if (!(endpoint.query ?? []).includes(param)) problems.push(`${label}: the client never sends required query parameter ${param}`);
    }

    // The request body.
    const bodySchema = resolve(obj(obj(obj(operation.requestBody).content)['application/json']).schema);
    if (endpoint.body) {
      const properties = obj(bodySchema.properties);
      const sent = [...endpoint.body.required, ...(endpoint.body.optional ?? [])];
      for (const field of sent) {
        if (!(field in properties)) problems.push(`${label}: body field ${field} is not in the request schema`);
      }
      for (const field of (bodySchema.required as string[]) ?? []) {
        if (!endpoint.body.required.includes(field)) problems.push(`${label}: required body field ${field} is not always sent`);
      }
    } else if (obj(operation.requestBody).required === true) {
      problems.push(`${label}: the API requires a body the client does not send`);
    }

    // The success response.
    const response = obj(obj(operation.responses)[String(endpoint.status)]);
    if (Object.keys(response).length === 0) {
      problems.push(`${label}: no ${endpoint.status} response`);
      continue;
    }
    const content = obj(response.content);
    const returns = endpoint.returns;
    if ('empty' in returns) {
      if (Object.keys(content).length > 0) problems.push(`${label}: the client expects no body, the API documents one`);
    } else if ('image' in returns) {
      if (!(returns.image in content)) problems.push(`${label}: no ${returns.image} response`);
    } else if ('csv' in returns) {
      if (!('text/csv' in content)) problems.push(`${label}: no text/csv response`);
    } else {
      const schema = obj(content['application/json']).schema;
      if (!schema) {
        problems.push(`${label}: no application/json response`);
      } else if ('schema' in returns) {
        expectSchema(`${label}: the response`, schema, returns.schema);
      } else {
        const resolved = resolve(schema);
        const properties = obj(resolved.properties);
        const required = (resolved.required as string[]) ?? [];
        for (const [field, shape] of Object.entries(returns.fields) as [string, FieldShape][]) {
          const property = properties[field];
          if (!property) {
            problems.push(`${label}: response field ${field} is not documented`);
            continue;
          }
          if (!required.includes(field)) problems.push(`${label}: response field ${field} is not required`);
          if (shape === 'string|null') {
            if (obj(property).type !== 'string' || obj(property).nullable !== true) {
              problems.push(`${label}: response field ${field} is not a nullable string`);
            }
          } else if (shape === 'string' || shape === 'integer') {
            if (obj(property).type !== shape || obj(property).nullable === true) {
              problems.push(`${label}: response field ${field} is not a ${shape}`);
            }
          } else if ('list' in shape) {
            if (obj(property).type !== 'array') problems.push(`${label}: response field ${field} is not an array`);
            else expectSchema(`${label}: ${field}[]`, obj(property).items, shape.list);
          } else {
            expectSchema(`${label}: ${field}`, property, shape.schema);
          }
        }
      }
    }
  }

  // The shapes the client reads.
  for (const [name, { reads, required }] of Object.entries(SCHEMA_FIELDS)) {
    const schema = obj(schemas[name]);
    const properties = obj(schema.properties);
    for (const field of reads) {
      if (!(field in properties)) problems.push(`schema ${name}: field ${field} is not documented`);
    }
    const documentedRequired = (schema.required as string[]) ?? [];
    for (const field of required) {
      if (!documentedRequired.includes(field)) problems.push(`schema ${name}: the client relies on ${field}, which is not required`);
    }
  }
  const sameSet = (where: string, actual: unknown, expected: readonly string[]) => {
    const list = Array.isArray(actual) ? actual.map(String) : [];
    const missing = expected.filter((v) => !list.includes(v));
    const extra = list.filter((v) => !expected.includes(v));
    if (missing.length || extra.length) {
      problems.push(`${where}: the client knows [${expected.join(', ')}], the API [${list.join(', ')}]`);
    }
  };
  sameSet('Session.status', obj(obj(obj(schemas.Session).properties).status).enum, SESSION_STATUSES);
  sameSet('Message.status', obj(obj(obj(schemas.Message).properties).status).enum, MESSAGE_STATUSES);
  sameSet('Message.direction', obj(obj(obj(schemas.Message).properties).direction).enum, ['inbound', 'outbound']);
  const property = (schema: string, field: string) => obj(obj(obj(schemas[schema]).properties)[field]);
  sameSet('WebhookDelivery.status', property('WebhookDelivery', 'status').enum, DELIVERY_STATUSES);
  sameSet('AdminSession.status', property('AdminSession', 'status').enum, SESSION_STATUSES);
  sameSet('AdminSession.reason', property('AdminSession', 'reason').enum, STUCK_REASONS);
  sameSet('AdminAction.action', property('AdminAction', 'action').enum, ['restart', 'release']);
  sameSet('WebhookTest.type', property('WebhookTest', 'type').enum, ['ping']);
  for (const request of ['CreateWebhookRequest', 'UpdateWebhookRequest']) {
    sameSet(`${request}.events`, obj(property(request, 'events').items).enum, WEBHOOK_EVENT_TYPES);
  }

  // A delivery's attempt log: its entries' fields.
  const attempt = resolve(property('WebhookDelivery', 'attempt_log').items);
  for (const field of ATTEMPT_FIELDS) {
    if (!(field in obj(attempt.properties))) problems.push(`schema WebhookDelivery: attempt_log[].${field} is not documented`);
  }
  for (const field of ATTEMPT_REQUIRED) {
    if (!((attempt.required as string[]) ?? []).includes(field)) {
      problems.push(`schema WebhookDelivery: the client relies on attempt_log[].${field}, which is not required`);
    }
  }

  // Errors and authentication.
  const errorDetail = obj(obj(obj(schemas.Error).properties).error);
  for (const field of ['code', 'message']) {
    if (!(field in obj(resolve(errorDetail).properties))) problems.push(`schema Error: error.${field} is not documented`);
  }
  const bearer = Object.values(obj(obj(root.components).securitySchemes)).map(obj);
  if (!bearer.some((s) => s.type === 'http' && String(s.scheme).toLowerCase() === 'bearer')) {
    problems.push('no http bearer security scheme');
  }
  return problems;
}

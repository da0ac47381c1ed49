import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ROOT } from './start-process.js';

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: unknown }> }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, { content: unknown }> };
}

export const openapi = parse(readFileSync(join(ROOT, 'shared/http/openapi.yaml'), 'utf8')) as OpenApi;

// OpenAPI 3.0 schemas are JSON Schema with a few keywords ajv must tolerate
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'openapi', components: openapi.components });

/** Validates a response body against the OpenAPI document; returns the errors ('' when valid). */
export function responseErrors(method: string, template: string, status: number, body: unknown): string {
  const op = openapi.paths[template]?.[method.toLowerCase()];
  if (!op) return `no operation ${method} ${template} in openapi.yaml`;
  let response = op.responses[String(status)];
  if (!response) return `status ${status} not documented for ${method} ${template}`;
  if (response.$ref) response = openapi.components.responses[response.$ref.split('/').pop()!];
  const content = response.content as { 'application/json'?: { schema: unknown } } | undefined;
  const schema = content?.['application/json']?.schema;
  if (!schema) return body === undefined || body === '' ? '' : 'body present but none documented';
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
  const validate = ajv.compile(rewritten);
  return validate(body) ? '' : ajv.errorsText(validate.errors);
}

import { TOOL_VERSION } from '../../core/src/index.js';
import { CONSOLE_PATHS } from './openapi-console.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errors = {
  '400': { description: 'Bad request (code USAGE_INVALID)', content: json(ref('Error')) },
  '401': { description: 'No or unknown bearer token', content: json(ref('Error')) },
};
const pathId = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, description: string, schema: object) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const severity = { enum: ['critical', 'high', 'medium', 'low', 'unknown'] };
const decision = { enum: ['allow', 'warn', 'deny'] };

/** The service API, OpenAPI 3.1 (validated against the official 3.1 schema in the tests). */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Portcullis scan service',
    version: TOOL_VERSION,
    description:
      'Registry and runtime image scans, their results and the reverse index. Every /api/v1 endpoint but this document needs a bearer token listed in the tokens file; starting and cancelling tasks needs role admin.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  security: [{ bearer: [] }],
  paths: {
    ...CONSOLE_PATHS,
    '/api/v1/tasks': {
      get: {
        operationId: 'listTasks',
        summary: 'Tasks, newest first',
        parameters: [query('limit', 'At most this many (default 100)', { type: 'integer', minimum: 0 })],
        responses: {
          '200': {
            description: 'Tasks',
            content: json({
              type: 'object',
              properties: { items: { type: 'array', items: ref('Task') } },
              required: ['items'],
            }),
          },
          ...errors,
        },
      },
      post: {
        operationId: 'startTask',
        summary: 'Start a scan now (registries, or the images of running pods with runtime: true)',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            additionalProperties: false,
            properties: {
              registries: {
                type: 'array',
                items: { type: 'string' },
                description: 'Registry names (default: all)',
              },
              scanners: {
                type: 'array',
                items: { enum: ['vuln', 'secret', 'malware', 'baseline', 'buildinstruction'] },
              },
              runtime: { type: 'boolean' },
            },
          }),
        },
        responses: {
          '202': { description: 'Task created (queued)', content: json(ref('Task')) },
          ...errors,
          '403': { description: 'The token has role read', content: json(ref('Error')) },
        },
      },
    },
    '/api/v1/tasks/{id}': {
      get: {
        operationId: 'getTask',
        summary: 'One task: scope, status, counts, times',
        parameters: [pathId('id', 'Task id')],
        responses: {
          '200': { description: 'The task', content: json(ref('Task')) },
          '404': { description: 'No such task', content: json(ref('Error')) },
          ...errors,
        },
      },
    },
    '/api/v1/tasks/{id}/log': {
      get: {
        operationId: 'getTaskLog',
        summary: 'The per-image execution log of a task, in order',
        parameters: [pathId('id', 'Task id')],
        responses: {
          '200': {
            description: 'Log entries',
            content: json({
              type: 'object',
              properties: { items: { type: 'array', items: ref('LogEntry') } },
              required: ['items'],
            }),
          },
          '404': { description: 'No such task', content: json(ref('Error')) },
          ...errors,
        },
      },
    },
    '/api/v1/tasks/{id}/cancel': {
      post: {
        operationId: 'cancelTask',
        summary: 'Ask a queued or running task to stop',
        parameters: [pathId('id', 'Task id')],
        responses: {
          '202': {
            description: 'Cancel requested',
            content: json({
              type: 'object',
              properties: { id: { type: 'string' }, cancelRequested: { const: true } },
            }),
          },
          '403': { description: 'The token has role read', content: json(ref('Error')) },
          '404': { description: 'No such task', content: json(ref('Error')) },
          '409': { description: 'The task has ended', content: json(ref('Error')) },
          ...errors,
        },
      },
    },
    '/api/v1/images': {
      get: {
        operationId: 'listImages',
        summary: 'Stored image results with their verdict under the current policy',
        parameters: [
          query('registry', 'Registry name', { type: 'string' }),
          query('repository', 'Repository path (team/app)', { type: 'string' }),
          query('riskType', 'Has an unsuppressed finding of this type', {
            enum: ['vulnerability', 'sensitive-file', 'malicious-sample', 'baseline', 'build-instruction'],
          }),
          query('severity', 'Has an unsuppressed finding of this severity', severity),
          query('verdict', 'Verdict under the current policy', decision),
          query('limit', 'Page size (default 50, at most 500)', {
            type: 'integer',
            minimum: 0,
            maximum: 500,
          }),
          query('offset', 'Items to skip', { type: 'integer', minimum: 0 }),
          query(
            'sort',
            'scannedAt, reference, verdict or findings; a leading - sorts descending (default -scannedAt)',
            {
              type: 'string',
              pattern: '^-?(scannedAt|reference|verdict|findings)$',
            },
          ),
        ],
        responses: {
          '200': {
            description: 'One page',
            content: json({
              type: 'object',
              properties: {
                items: { type: 'array', items: ref('ImageSummary') },
                total: { type: 'integer' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
              },
              required: ['items', 'total', 'limit', 'offset'],
            }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/images/{digest}': {
      get: {
        operationId: 'getImage',
        summary: 'One image: findings (evidence redacted), notes, verdict reasons, remediation',
        parameters: [pathId('digest', 'Manifest digest (sha256:…)')],
        responses: {
          '200': {
            description: 'The image',
            content: json({
              allOf: [ref('ImageSummary')],
              type: 'object',
              properties: {
                findings: { type: 'array', items: { type: 'object' } },
                notes: { type: 'array', items: { type: 'object' } },
                reasons: { type: 'array', items: { type: 'string' } },
                warnings: { type: 'array', items: { type: 'string' } },
                remediation: { type: 'object' },
                packages: { type: 'integer', description: 'Packages in the stored inventory' },
              },
            }),
          },
          '404': { description: 'No stored result', content: json(ref('Error')) },
          ...errors,
        },
      },
    },
    '/api/v1/affected/{id}': {
      get: {
        operationId: 'getAffected',
        summary: 'Images and repositories that have a vulnerability (id or alias), with fixed versions',
        parameters: [pathId('id', 'Vulnerability id or alias (CVE-…, GHSA-…, DSA-…)')],
        responses: {
          '200': {
            description: 'Affected images',
            content: json({
              type: 'object',
              properties: {
                id: { type: 'string' },
                images: { type: 'array', items: { type: 'object' } },
                repositories: { type: 'array', items: { type: 'string' } },
              },
              required: ['id', 'images', 'repositories'],
            }),
          },
          ...errors,
        },
      },
    },
    '/api/v1/settings': {
      get: {
        operationId: 'getSettings',
        summary: 'The effective scan settings (registries without credentials, scan: section, schedules)',
        responses: {
          '200': {
            description: 'Settings',
            content: json({
              type: 'object',
              properties: {
                registries: { type: 'array', items: { type: 'object' } },
                scan: { type: 'object' },
              },
            }),
          },
          ...errors,
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Error: {
        type: 'object',
        properties: {
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' } },
            required: ['code', 'message'],
          },
        },
        required: ['error'],
      },
      Task: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          trigger: { enum: ['manual', 'schedule', 'runtime'] },
          status: { enum: ['queued', 'running', 'succeeded', 'partial', 'failed', 'timed-out', 'cancelled'] },
          scope: { type: 'object' },
          progress: {
            type: 'object',
            properties: {
              inScope: { type: 'integer' },
              scanned: { type: 'integer' },
              skipped: { type: 'integer' },
              failed: { type: 'integer' },
              notScanned: { type: 'integer' },
            },
          },
          createdAt: { type: 'string', format: 'date-time' },
          startedAt: { type: 'string', format: 'date-time' },
          finishedAt: { type: 'string', format: 'date-time' },
          cancelRequested: { type: 'boolean' },
          error: { type: 'string' },
        },
        required: ['id', 'trigger', 'status', 'scope', 'progress', 'createdAt'],
      },
      LogEntry: {
        type: 'object',
        properties: {
          reference: { type: 'string' },
          digest: { type: 'string' },
          registry: { type: 'string' },
          outcome: { enum: ['scanned', 'failed', 'skipped', 'not-scanned'] },
          cause: { type: 'string' },
          code: { type: 'string' },
          durationMs: { type: 'number' },
          findings: { type: 'object' },
          at: { type: 'string', format: 'date-time' },
        },
        required: ['reference', 'registry', 'outcome', 'durationMs', 'at'],
      },
      ImageSummary: {
        type: 'object',
        properties: {
          digest: { type: 'string' },
          reference: { type: 'string' },
          registry: { type: 'string' },
          repository: { type: 'string' },
          scannedAt: { type: 'string', format: 'date-time' },
          verdict: decision,
          counts: { type: 'object' },
        },
        required: ['digest', 'reference', 'repository', 'scannedAt', 'verdict', 'counts'],
      },
    },
  },
} as const;

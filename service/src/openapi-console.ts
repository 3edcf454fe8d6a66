/**
 * The paths the operator console needed beyond the scan API (overview, exceptions, where an image runs), in the
 * same OpenAPI document (`openapi.ts` spreads them in). Any script can use them as the console does.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errors = {
  '400': { description: 'Bad request (code USAGE_INVALID)', content: json(ref('Error')) },
  '401': { description: 'No or unknown bearer token', content: json(ref('Error')) },
};
const severityCounts = {
  type: 'object',
  properties: Object.fromEntries(
    ['critical', 'high', 'medium', 'low', 'unknown'].map((s) => [s, { type: 'integer' }]),
  ),
};

export const CONSOLE_PATHS = {
  '/api/v1/overview': {
    get: {
      operationId: 'getOverview',
      summary:
        'Counts by risk type and severity, images the policy denies, pods denied at admission, DB age, last and next tasks, findings trend',
      responses: {
        '200': {
          description: 'Overview',
          content: json({
            type: 'object',
            properties: {
              images: {
                type: 'object',
                properties: { total: { type: 'integer' }, byVerdict: { type: 'object' } },
              },
              findings: {
                type: 'object',
                description:
                  'Unsuppressed findings by category (system-vulnerability, application-vulnerability, sensitive-file, malicious-sample, baseline, build-instruction), then severity',
                additionalProperties: severityCounts,
              },
              denied: {
                type: 'array',
                description: 'Newest images the current policy denies (what admission answers for them)',
                items: ref('ImageSummary'),
              },
              admissions: {
                type: 'array',
                description:
                  'Newest pods the admission webhook denied (its recorded decisions, up to 10, newest first; the store keeps the last 1,000 decisions). Reasons are redacted as in the webhook log.',
                items: {
                  type: 'object',
                  properties: {
                    at: { type: 'string', format: 'date-time' },
                    image: { type: 'string' },
                    digest: { type: 'string' },
                    namespace: { type: 'string' },
                    pod: { type: 'string', description: 'The pod name (or generateName) when known' },
                    verdict: { enum: ['deny', 'warn', 'allow'] },
                    reasons: { type: 'array', items: { type: 'string' } },
                  },
                  required: ['at', 'image', 'namespace', 'verdict', 'reasons'],
                },
              },
              db: {
                type: 'object',
                properties: {
                  builtAt: { type: 'string', format: 'date-time' },
                  ageMs: { type: 'number' },
                  error: { type: 'string' },
                },
              },
              lastTask: ref('Task'),
              schedule: {
                type: 'object',
                properties: {
                  scan: { type: 'string' },
                  nextScan: { type: 'string', format: 'date-time' },
                  dbUpdate: { type: 'string' },
                  nextDbUpdate: { type: 'string', format: 'date-time' },
                  timezone: { type: 'string' },
                },
              },
              trend: {
                type: 'array',
                description: 'Findings recorded by each retained task, oldest first',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    createdAt: { type: 'string', format: 'date-time' },
                    status: { type: 'string' },
                    findings: severityCounts,
                  },
                },
              },
            },
            required: ['images', 'findings', 'denied', 'admissions', 'db', 'schedule', 'trend'],
          }),
        },
        ...errors,
      },
    },
  },
  '/api/v1/exceptions': {
    get: {
      operationId: 'listExceptions',
      summary: "The policy's exceptions with expiry state and how many stored findings each suppresses now",
      description:
        'Read-only: exceptions are changed in the policy file. `yaml` is the entry to copy there when renewing or changing it.',
      responses: {
        '200': {
          description: 'Exceptions',
          content: json({
            type: 'object',
            properties: {
              expiryWarning: { type: 'string' },
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    index: { type: 'integer' },
                    entry: { type: 'object' },
                    status: { enum: ['expired', 'expiring', 'active', 'permanent'] },
                    remainingMs: { type: 'number' },
                    suppressed: { type: 'integer' },
                    images: { type: 'integer' },
                    yaml: { type: 'string' },
                  },
                  required: ['index', 'entry', 'status', 'suppressed', 'images', 'yaml'],
                },
              },
            },
            required: ['expiryWarning', 'items'],
          }),
        },
        ...errors,
      },
    },
  },
  '/api/v1/images/{digest}/workloads': {
    get: {
      operationId: 'getImageWorkloads',
      summary: 'Where an image runs: the pods the newest runtime scans saw using it',
      parameters: [
        { name: 'digest', in: 'path', required: true, description: 'sha256:…', schema: { type: 'string' } },
      ],
      responses: {
        '200': {
          description: 'Workloads (empty when no runtime scan saw the image)',
          content: json({
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    workload: { type: 'string', description: 'namespace/pod' },
                    task: { type: 'string' },
                    at: { type: 'string', format: 'date-time' },
                  },
                  required: ['workload', 'task', 'at'],
                },
              },
            },
            required: ['items'],
          }),
        },
        ...errors,
      },
    },
  },
} as const;

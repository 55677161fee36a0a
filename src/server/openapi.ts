/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas that
 * validate the bodies (api-schemas.ts), so the two cannot drift. Served at
 * /openapi.json; /docs renders it as a page that can send requests.
 */
import { z } from 'zod';
import {
  BatchSearchBodySchema,
  BatchSearchResponseSchema,
  CollectionInfoSchema,
  CollectionListSchema,
  CreateCollectionBodySchema,
  DeleteBodySchema,
  DeleteResponseSchema,
  ProblemSchema,
  SearchBodySchema,
  SearchResponseSchema,
  WriteBodySchema,
  WriteResponseSchema,
} from '../api/schemas.ts';
import { roleOf } from './routes/route-table.ts';

interface Operation {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  ok: { status: number; schema?: z.ZodType; description: string };
  /** Error statuses this route can answer, beyond those every API route can. */
  errors: number[];
}

const jsonSchema = (s: z.ZodType) =>
  z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;

const NAME = {
  name: 'name',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'Collection name',
};

/** What every API route can answer: auth, admission (429/503), deadline (504), body size and type. */
const COMMON_API_ERRORS = [401, 403, 429, 503, 504];
const BODY_ERRORS = [400, 413, 415];

export const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    ok: { status: 200, description: 'The process is up' },
    errors: [],
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the backend answers and the server is not draining',
    ok: { status: 200, description: 'Ready' },
    errors: [503],
  },
  {
    method: 'get',
    path: '/v1/stats',
    summary: 'Request, admission and backend statistics',
    ok: { status: 200, description: 'Statistics' },
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    ok: { status: 200, description: 'Prometheus text format' },
    errors: [401, 403],
  },
  {
    method: 'get',
    path: '/v1/collections',
    summary: 'List collections',
    ok: { status: 200, schema: CollectionListSchema, description: 'Collection names' },
    errors: COMMON_API_ERRORS,
  },
  {
    method: 'post',
    path: '/v1/collections',
    summary: 'Create a collection',
    body: CreateCollectionBodySchema,
    ok: { status: 201, schema: CollectionInfoSchema, description: 'Created' },
    errors: [...COMMON_API_ERRORS, ...BODY_ERRORS, 409],
  },
  {
    method: 'get',
    path: '/v1/collections/{name}',
    summary: 'Describe a collection',
    ok: { status: 200, schema: CollectionInfoSchema, description: 'The collection' },
    errors: [...COMMON_API_ERRORS, 404],
  },
  {
    method: 'delete',
    path: '/v1/collections/{name}',
    summary: 'Drop a collection and its data',
    ok: { status: 204, description: 'Dropped' },
    errors: [...COMMON_API_ERRORS, 404, 409],
  },
  {
    method: 'post',
    path: '/v1/collections/{name}/search',
    summary: 'Nearest neighbours of one vector',
    body: SearchBodySchema,
    ok: { status: 200, schema: SearchResponseSchema, description: 'Hits, nearest first' },
    errors: [...COMMON_API_ERRORS, ...BODY_ERRORS, 404],
  },
  {
    method: 'post',
    path: '/v1/collections/{name}/search/batch',
    summary: 'Nearest neighbours of several vectors',
    body: BatchSearchBodySchema,
    ok: { status: 200, schema: BatchSearchResponseSchema, description: 'Hits per query, in order' },
    errors: [...COMMON_API_ERRORS, ...BODY_ERRORS, 404],
  },
  {
    method: 'post',
    path: '/v1/collections/{name}/vectors',
    summary: 'Insert or upsert rows (durable when answered)',
    body: WriteBodySchema,
    ok: { status: 200, schema: WriteResponseSchema, description: 'Ids written' },
    errors: [...COMMON_API_ERRORS, ...BODY_ERRORS, 404, 409],
  },
  {
    method: 'delete',
    path: '/v1/collections/{name}/vectors',
    summary: 'Delete rows by id',
    body: DeleteBodySchema,
    ok: { status: 200, schema: DeleteResponseSchema, description: 'How many were deleted' },
    errors: [...COMMON_API_ERRORS, ...BODY_ERRORS, 404, 409],
  },
];

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request: the detail names the property and what was wrong',
  401: 'No API key, or one the server does not know',
  403: 'The key lacks the role this route needs (or, with no keys configured, the client is not local)',
  404: 'No such collection',
  405: 'The path exists but not with this method (see Allow)',
  409: 'Conflict: exists already, read-only here, or a quota (quota_exceeded)',
  413: 'Body larger than MAX_BODY_BYTES',
  415: 'Content-Type is not JSON',
  429: 'Rate limited (Retry-After)',
  503: 'Overloaded, breaker open or backend unavailable (Retry-After)',
  504: 'The deadline (TIMEOUT) passed',
};

let cached: Record<string, unknown> | null = null;

/** The document (built once). */
export function openApiDocument(version = '0.0.0'): Record<string, unknown> {
  if (cached) return cached;
  const problem = {
    'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {
      [op.ok.status]: {
        description: op.ok.description,
        ...(op.ok.schema
          ? { content: { 'application/json': { schema: jsonSchema(op.ok.schema) } } }
          : {}),
      },
    };
    for (const status of [...new Set([...op.errors, 405])].sort())
      responses[status] = { description: STATUS_TEXT[status] ?? 'Error', content: problem };
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      operationId: `${op.method}${op.path
        .replace(/[{}]/g, '')
        .replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())
        .replace(/\W/g, '')}`,
      'x-required-role': roleOf(op.method, op.path),
      ...(roleOf(op.method, op.path) === 'open' ? { security: [] } : {}),
      ...(op.path.includes('{name}') ? { parameters: [NAME] } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(op.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'vecserve',
      version,
      description:
        'Vector search over an embedded HNSW index or Milvus. Errors are RFC 9457 problem+json with a `code`, a `detail` and the `requestId`. Roles: search < write < admin; with no API keys configured, write and admin routes answer only clients on the server host.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: { Problem: jsonSchema(ProblemSchema) },
    },
    paths,
  };
  return cached;
}

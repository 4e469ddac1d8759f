import { z } from 'zod';
import { requestReport } from '../src/annual-report/annual-report.controller.js';
import { REPORT_LANGUAGES } from '../src/annual-report/annual-report.content.js';
import { submission } from '../src/answers/answers-api.controller.js';
import { followBody } from '../src/following/follows.controller.js';
import { MILESTONE_STATES } from '../src/common/milestone-states.js';
import { milestoneQuery } from '../src/plan/plan.controller.js';
import { TREE_LEVELS } from '../src/progress/attainment.service.js';
import { assessCriteriaSchema, CRITERION_VERDICTS } from '../src/progress/criteria.service.js';
import { planAttainmentQuery } from '../src/progress/progress.controller.js';
import { createRound, extendRound } from '../src/reporting/rounds.controller.js';
import { startTestApp, type TestApp } from './support/app.js';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Record<string, unknown>;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
}

/**
 * What zod itself says the client may send, as OpenAPI 3.0 has it: JSON Schema's `examples` list
 * is OpenAPI 3.0's single `example`. Computed here with zod, not with the app's helper.
 */
function expected(schema: z.ZodType) {
  const { examples, ...rest } = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
  return Array.isArray(examples) ? { ...rest, example: (examples as unknown[])[0] } : rest;
}

/** The OpenAPI document at /api/docs is made from the zod schemas that validate, so they cannot drift apart. */
describe('the API docs', () => {
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    t = await startTestApp();
    const document = (await t.api.get('/api/docs-json').expect(200)).body as { paths: typeof paths };
    paths = document.paths;
  });
  afterAll(() => t.close());

  const operation = (method: string, path: string) => {
    const found = paths[path]?.[method];
    if (!found) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
    return found;
  };
  const body = (method: string, path: string) => operation(method, path).requestBody?.content['application/json']?.schema;
  const query = (path: string) =>
    Object.fromEntries((operation('get', path).parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));

  it('documents each request body as the zod schema that validates it', () => {
    expect(body('post', '/api/rounds')).toEqual(expected(createRound));
    expect(body('post', '/api/rounds/{id}/extend')).toEqual(expected(extendRound));
    expect(body('post', '/api/answers/{token}')).toEqual(expected(submission));
    expect(body('post', '/api/annual-reports')).toEqual(expected(requestReport));
    expect(body('post', '/api/follows')).toEqual(expected(followBody));
    expect(body('post', '/api/goals/{number}/criteria/assessments')).toEqual(expected(assessCriteriaSchema));
    expect(body('post', '/api/goals/{number}/criteria/assessments')).toHaveProperty(
      'properties.assessments.items.properties.verdict.enum',
      [...CRITERION_VERDICTS],
    );
    expect(Object.keys(query('/api/goals/{number}/criteria')).sort()).toEqual(['plan', 'year']);
  });

  it('says what is required, what is closed and which values an enum takes', () => {
    expect(body('post', '/api/rounds')).toMatchObject({
      type: 'object',
      required: ['year', 'deadline'],
      additionalProperties: false,
      example: { year: 2023, deadline: '2023-12-01' },
    });
    const answers = body('post', '/api/answers/{token}')!;
    expect(answers).toMatchObject({ required: ['answers'], properties: { final: { type: 'boolean', default: false } } });
    expect(answers).toHaveProperty('properties.answers.items.properties.state.enum', [...MILESTONE_STATES]);
    expect(answers).toHaveProperty('properties.answers.items.required', ['number', 'state']);
    expect(body('post', '/api/annual-reports')).toMatchObject({
      required: ['year'],
      properties: { language: { enum: [...REPORT_LANGUAGES], default: 'da' } },
    });
    // A body that may be left out is not required.
    expect(operation('post', '/api/rounds/{id}/remind').requestBody).toMatchObject({ required: false });
    expect(operation('post', '/api/rounds').requestBody).toMatchObject({ required: true });
  });

  it('documents every field of a query schema as a query parameter', () => {
    const milestones = query('/api/milestones');
    expect(Object.keys(milestones).sort()).toEqual(Object.keys(milestoneQuery.shape).sort());
    expect(milestones.state).toMatchObject({ required: false, schema: { type: 'string', enum: [...MILESTONE_STATES] } });
    expect(milestones.pageSize).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } });
    expect(milestones.plan).toMatchObject({ description: 'Plan id; defaults to the current plan.', schema: { type: 'integer' } });

    const attainment = query('/api/attainment');
    expect(Object.keys(attainment).sort()).toEqual(Object.keys(planAttainmentQuery.shape).sort());
    expect(attainment.depth).toMatchObject({ schema: { enum: [...TREE_LEVELS], default: 'contributions' } });
    expect(attainment.depth?.description).toMatch(/deepest level/);

    expect(Object.keys(query('/api/inbound')).sort()).toEqual(['page', 'pageSize', 'status']);
  });

  it('keeps the raw message body of the inbound webhook', () => {
    expect(operation('post', '/api/inbound/email').requestBody?.content['message/rfc822']?.schema).toEqual({
      type: 'string',
      format: 'binary',
    });
  });
});

import { startTestApp, type TestApp } from '../support/app.js';

/**
 * An id in a path or query that no column can hold, or that is no number at all, is the
 * caller's mistake: a 400 naming the parameter, never a 500 from the database.
 */
describe('ids out of range', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const paths = (id: string) =>
    [
      ['get', `/api/rounds/${id}`],
      ['post', `/api/rounds/${id}/open`],
      ['post', `/api/rounds/${id}/close`],
      ['get', `/api/annual-reports/${id}`],
      ['get', `/api/annual-reports/${id}/content`],
      ['get', `/api/annual-reports/${id}/pdf`],
      ['get', `/api/plans/${id}`],
      ['get', `/api/plans/${id}/export`],
      ['get', `/api/goals/${id}`],
      ['get', `/api/milestones/${id}`],
      ['get', `/api/goals/${id}/attainment`],
      ['get', `/api/milestones/${id}/history`],
      ['post', `/api/inbound/${id}/accept`],
      ['get', `/api/rounds?plan=${id}`],
      ['get', `/api/mail?round=${id}`],
    ] as const;

  it.each(['2147483648', '99999999999999999999', '0', '-1', '1.5', 'abc'])('answers %s with a 400 that names the parameter', async (id) => {
    for (const [method, path] of paths(id)) {
      const response = await t.api[method](path).send({});
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect({ path, body: JSON.stringify(response.body) }).toEqual({
        path,
        body: expect.stringMatching(/(id|number|plan|round): must be/),
      });
    }
  });

  it('still finds nothing at the largest id a column holds', async () => {
    expect((await t.api.get('/api/milestones/2147483647')).status).toBe(404);
  });
});

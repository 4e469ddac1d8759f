import { PlanImportService } from '../../src/plan/plan-import.service.js';
import { startTestApp, type TestApp } from '../support/app.js';

const SMALL = new URL('../fixtures/small-plan.yaml', import.meta.url).pathname;

describe('the read API', () => {
  let t: TestApp;
  let http: TestApp['api'];

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.get(PlanImportService).importFile(SMALL);
    http = t.api;
  });
  afterAll(() => t.close());

  it('lists the goals of the current plan with budgets and interventions', async () => {
    const response = await http.get('/api/goals').expect(200);
    expect(response.body.map((goal: { number: number }) => goal.number)).toEqual([1, 6]);
    expect(response.body[0]).toMatchObject({
      number: 1,
      priority: 'Grønt Norden',
      attainmentCriteria: ['Benchmark gennemført', 'Kommunikeret internationalt'],
      budget: { currency: 'DKK', total: 17600000 },
      interventions: [{ code: 'G.1.a', partners: ['Nordregio', 'GK'] }],
    });
  });

  it('shows one goal by number and one intervention by code, with contributions and milestones', async () => {
    const goal = (await http.get('/api/goals/1').expect(200)).body;
    expect(goal.contributions[0]).toMatchObject({ organisation: 'Nordregio', milestones: [{ label: 'D:', kind: 'deliverable' }] });
    const intervention = (await http.get('/api/interventions/G.1.a').expect(200)).body;
    expect(intervention).toMatchObject({ code: 'G.1.a', goal: { number: 1 } });
    expect(intervention.contributions.map((c: { organisation: string }) => c.organisation)).toEqual(['Kvarkenrådet', 'Greater Copenhagen']);
    expect(intervention.contributions[0].milestones).toHaveLength(5);
  });

  it('serves the whole tree and the export of a plan', async () => {
    const [plan] = (await http.get('/api/plans').expect(200)).body;
    const tree = (await http.get(`/api/plans/${plan.id}`).expect(200)).body;
    expect(tree.priorities.map((p: { name: string }) => p.name)).toEqual(['Grønt Norden', 'Konkurrencedygtigt Norden']);
    const exported = (await http.get(`/api/plans/${plan.id}/export`).expect(200)).body;
    expect(exported.slug).toBe('small-plan');
  });

  it('lists organisations', async () => {
    const organisations = (await http.get('/api/organisations').expect(200)).body;
    expect(organisations.map((o: { name: string }) => o.name)).toEqual(['Greater Copenhagen', 'Kvarkenrådet', 'Nordregio']);
    expect(organisations[0]).toMatchObject({ kind: 'border_committee', language: 'da', contributions: 2 });
  });

  it('filters and paginates milestones', async () => {
    const all = (await http.get('/api/milestones').expect(200)).body;
    expect(all).toMatchObject({ page: 1, pageSize: 50, total: 8 });

    const organisations = (await http.get('/api/organisations')).body as { id: number; name: string }[];
    const gc = organisations.find((o) => o.name === 'Greater Copenhagen')!;
    const byOrganisation = (await http.get(`/api/milestones?organisation=${gc.id}`).expect(200)).body;
    expect(byOrganisation.items.map((m: { label: string }) => m.label)).toEqual(['MP2022', 'M2021-2024']);
    expect(byOrganisation.items[0]).toMatchObject({ owner: { id: gc.id, name: 'Greater Copenhagen' }, goal: 1, intervention: 'G.1.a' });

    expect((await http.get('/api/milestones?goal=6').expect(200)).body.total).toBe(1);
    expect((await http.get('/api/milestones?intervention=G.1.a').expect(200)).body.total).toBe(6);
    // M23/24 and M2021-2024 both include 2023
    expect((await http.get('/api/milestones?dueYear=2023').expect(200)).body.items.map((m: { label: string }) => m.label).sort()).toEqual([
      'M2021-2024',
      'M23/24',
    ]);
    expect((await http.get('/api/milestones?state=completed').expect(200)).body.total).toBe(0);

    const page2 = (await http.get('/api/milestones?pageSize=3&page=2').expect(200)).body;
    expect(page2).toMatchObject({ page: 2, pageSize: 3, total: 8 });
    expect(page2.items).toHaveLength(3);
    const page1 = (await http.get('/api/milestones?pageSize=3&page=1').expect(200)).body;
    expect(page1.items.map((m: { id: number }) => m.id)).not.toEqual(expect.arrayContaining(page2.items.map((m: { id: number }) => m.id)));
  });

  it('answers 400 with the reason for bad parameters', async () => {
    const cases: [string, string][] = [
      ['/api/milestones?state=finished', 'state: must be one of not_started, in_progress, at_risk, delayed, completed, cancelled'],
      ['/api/milestones?dueYear=soon', 'dueYear'],
      ['/api/milestones?pageSize=10000', 'pageSize: must be 500 or less'],
      ['/api/milestones?intervention=G1a', 'intervention: must be an intervention code such as G.1.a'],
      ['/api/goals?plan=abc', 'plan'],
    ];
    for (const [url, reason] of cases) {
      const response = await http.get(url).expect(400);
      expect(JSON.stringify(response.body.message)).toContain(reason);
    }
    await http.get('/api/goals/one').expect(400);
  });

  it('answers 404 for what does not exist', async () => {
    expect((await http.get('/api/goals/99').expect(404)).body.message).toBe('The plan has no goal 99.');
    expect((await http.get('/api/interventions/Z.9.z').expect(404)).body.message).toBe('The plan has no intervention Z.9.z.');
    await http.get('/api/plans/999').expect(404);
    await http.get('/api/milestones/999999').expect(404);
    await http.get('/api/goals?plan=999').expect(404);
  });

  it('reports health of the database and Redis, and serves the API docs', async () => {
    const health = (await http.get('/health').expect(200)).body;
    expect(health).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } } });
    const docs = await http.get('/api/docs-json').expect(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/api/goals', '/api/goals/{number}', '/api/interventions/{code}', '/api/milestones', '/api/organisations']),
    );
  });
});

/**
 * The layering the README describes, checked in CI (`npm run lint:deps`). A module may import
 * from its own floor's ground and from floors below, never from above nor from a sibling wing.
 *   ground:    config, database, common, queue, auth, i18n, web, storage, generated
 *   plan:      the plan's tree, which everything above reads
 *   wings:     progress, mail, evidence        (know nothing of each other)
 *   workflows: reporting, answers, following (know nothing of each other)
 *   report:    annual-report, which reports on what the workflows gathered
 *   doors:     inbound, dashboard, scheduler, operations, health, cli, demo
 */
const GROUND = '^src/(config|database|common|queue|auth|i18n|web|storage|generated)/';
const WINGS = ['progress', 'mail', 'evidence'];
const WORKFLOWS = ['reporting', 'answers', 'following'];
const REPORT = ['annual-report'];
const DOORS = ['inbound', 'dashboard', 'scheduler', 'operations', 'health', 'cli', 'demo'];
const any = (names) => `^src/(${names.join('|')})/`;

const siblings = (names, floor) =>
  names.map((name) => ({
    name: `${floor}-${name}-to-sibling`,
    comment: `${name} is a ${floor}: it does not import another ${floor}`,
    severity: 'error',
    from: { path: `^src/${name}/` },
    to: { path: any(names.filter((other) => other !== name)) },
  }));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'ground-looks-down-only',
      comment: 'the ground floor imports nothing above it',
      severity: 'error',
      from: { path: GROUND },
      to: { path: any(['plan', ...WINGS, ...WORKFLOWS, ...REPORT, ...DOORS]) },
    },
    {
      name: 'plan-below-wings',
      severity: 'error',
      from: { path: '^src/plan/' },
      to: { path: any([...WINGS, ...WORKFLOWS, ...REPORT, ...DOORS]) },
    },
    {
      name: 'wings-below-workflows',
      severity: 'error',
      from: { path: any(WINGS) },
      to: { path: any([...WORKFLOWS, ...REPORT, ...DOORS]) },
    },
    { name: 'workflows-below-report', severity: 'error', from: { path: any(WORKFLOWS) }, to: { path: any([...REPORT, ...DOORS]) } },
    { name: 'report-below-doors', severity: 'error', from: { path: any(REPORT) }, to: { path: any(DOORS) } },
    ...siblings(WINGS, 'wing'),
    ...siblings(WORKFLOWS, 'workflow'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    exclude: { path: ['\\.spec\\.ts$', '^src/generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

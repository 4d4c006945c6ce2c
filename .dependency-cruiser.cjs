// Import rules between the layers, checked by `npm test` (test/run.ts, after the type-check):
//   npx depcruise --config .dependency-cruiser.cjs --output-type err <the paths in test/run.ts CHECKED_PATHS>

/** A forbidden import: modules matching `from` may not import modules matching `to`. */
function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from, to };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid(
      'contracts-are-the-bottom-layer',
      'contracts/ holds the agreements every layer shares; it depends on no layer of the project.',
      { path: '^contracts/' },
      { path: '^(config|stacks|constructs|services|local|demo|bench|test|tools|model)/' },
    ),
    forbid(
      'constructs-without-local-or-services',
      'Constructs describe infrastructure; the programs they ship (services/, constructs/*/runtime/) reach the ' +
        'cluster only as NodeAppBundle entry points (a path string), never as imports. Shared settings live in contracts/.',
      { path: '^constructs/' },
      { path: '^(local|services|demo|bench|test)/' },
    ),
    forbid(
      'services-without-the-environment-table',
      'Services are bundled into the cluster; the environment table (config/environments.ts) stays on the machine ' +
        'that synthesizes. Their settings come from contracts/ and their own environment variables.',
      { path: '^services/' },
      { path: '^config/environments\\.ts$', reachable: true },
    ),
    forbid(
      'infrastructure-and-services-without-demo-or-tests',
      'Only the demo, the benchmarks and the tests use the demo and test code.',
      { path: '^(contracts|config|stacks|constructs|services)/' },
      { path: '^(demo|bench|test)/' },
    ),
    forbid(
      'tests-and-bench-reach-demo-through-the-harness',
      'test/ and bench/ reuse the demo only through test/harness/demo.ts.',
      { path: '^(test|bench)/', pathNot: '^test/harness/' },
      { path: '^demo/' },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|cdktf\\.out|\\.gen)/' },
  },
};

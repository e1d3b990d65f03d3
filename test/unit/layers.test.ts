import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importGraph, projectPath, sourceFiles } from '../helpers/source-graph.js';

/**
 * The layers of docs/ARCHITECTURE.md, held by the source itself: the command layer is an
 * adapter on top, and nothing below it may reach up into it (a lifecycle that needs a
 * CommandContext cannot be driven by anything but a command, e.g. an upgrade rollout).
 */
describe('layers', () => {
  const files = sourceFiles();
  const graph = importGraph(files);

  it('nothing outside src/cli imports src/cli (types included)', () => {
    const offenders = [...graph].flatMap(([from, to]) =>
      projectPath(from).startsWith('src/cli/') ? [] : to.filter((t) => projectPath(t).startsWith('src/cli/')).map((t) => `${projectPath(from)} -> ${projectPath(t)}`),
    );
    assert.deepEqual(offenders, []);
  });

  it('only the output layer (and the entry point that hands it the streams) touches process.stdout/stderr', () => {
    const allowed = (p: string) => p.startsWith('src/output/') || p === 'src/cli/main.ts';
    const offenders = files.filter((f) => !allowed(projectPath(f)) && /\bprocess\.std(out|err)\b/.test(readFileSync(f, 'utf8'))).map(projectPath);
    assert.deepEqual(offenders, []);
  });

  it('the walker sees what the rules are about', () => {
    // A rule over an empty graph passes for nothing: the command layer must be seen importing.
    const cli = [...graph].filter(([from]) => projectPath(from).startsWith('src/cli/'));
    assert.ok(cli.length > 5 && cli.some(([, to]) => to.some((t) => projectPath(t).startsWith('src/config/'))));
  });
});

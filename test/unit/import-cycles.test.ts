import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IMPORT, SRC, importGraph, projectPath, sourceFiles } from '../helpers/source-graph.js';

/** Tarjan's strongly connected components; only those with a cycle (two or more modules, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  const graph = importGraph(sourceFiles(SRC));
  const all = cycles(graph).map((scc) => scc.map(projectPath));

  it('the graph walker sees type-only imports and import() type expressions', () => {
    const typesTs = join(SRC, 'diagnose', 'types.ts');
    assert.ok(graph.get(typesTs)!.length > 0, 'types.ts imports something (the cluster facts type at least)');
    const synthetic = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cycles(synthetic), [['a', 'b', 'c']]);
    for (const [line, expected] of [
      ["import type { X } from './x.js';", './x.js'],
      ["export { y } from '../y.js';", '../y.js'],
      ["  probes?: import('./probes.js').ProbeReport;", './probes.js'],
      ["import './side-effect.js';", './side-effect.js'],
    ] as const) {
      assert.deepEqual([...line.matchAll(IMPORT)].map((m) => m[1]), [expected], line);
    }
  });

  it('no module of src/diagnose or src/cluster is part of an import cycle', () => {
    const mine = all.filter((scc) => scc.some((f) => f.startsWith('src/diagnose/') || f.startsWith('src/cluster/')));
    assert.deepEqual(mine, []);
  });
});

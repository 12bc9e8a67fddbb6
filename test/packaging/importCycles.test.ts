// No module of a package imports itself back through others: an import cycle makes load order
// matter (a class is undefined while its cycle loads) and hides which part depends on which.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { imports, sourceFiles } from './imports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const packages = ['core', 'relay', 'ops', 'store-redis', 'adapter-qq', 'adapter-wechat', 'cli'];

/** Each source file's relative imports (type-only ones included), as file paths. */
async function graph(dir: string): Promise<Map<string, string[]>> {
  const edges = new Map<string, string[]>();
  for (const file of await sourceFiles(dir)) {
    const targets = imports(file, await readFile(file, 'utf8'), { typeOnly: true })
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
    edges.set(file, targets);
  }
  return edges;
}

/** The cycles of a graph, each as the list of its files (Tarjan's strongly connected components of more than one file, or a file importing itself). */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('import cycles', () => {
  it('the cycle finder finds a cycle through three files and a file importing itself, and nothing in a tree', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it.each(packages)('%s has none, type-only imports included', async (pkg) => {
    const dir = join(root, 'packages', pkg, 'src');
    const found = cycles(await graph(dir)).map((c) => c.map((f) => relative(dir, f)).join(' → '));
    expect(found).toEqual([]);
  });
});

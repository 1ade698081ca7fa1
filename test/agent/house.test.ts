// The agent's house rules that a reader checks by eye, checked here so they stay true: no file in
// pi-agent/src over 350 lines, no function over 80 (issue 12), measured on the TypeScript syntax tree;
// and the Node packages take the code they share with the page by its package name (@pigeon/signal,
// @pigeon/bridge-wire, @pigeon/qr), never by a path into src/ (issue 25).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import ts from 'typescript';

const DIR = new URL('../../pi-agent/src/', import.meta.url);
const files = readdirSync(DIR).filter((name) => name.endsWith('.ts'));

test('no agent source file is over 350 lines', () => {
  assert.ok(files.length > 20, `found ${files.length} files`);
  const long = files.map((name) => [name, readFileSync(new URL(name, DIR), 'utf8').split('\n').length] as const).filter(([, lines]) => lines > 350);
  assert.deepEqual(long, []);
});

test('no agent function is over 80 lines', () => {
  const long: string[] = [];
  for (const name of files) {
    const source = ts.createSourceFile(name, readFileSync(new URL(name, DIR), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        if (last - first + 1 > 80) long.push(`${name}:${first + 1} (${last - first + 1} lines)`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.deepEqual(long, []);
});

test('pi-agent, the bridge and the engine import the shared code by name, not by a path into src/', () => {
  const root = new URL('../../', import.meta.url);
  const sources = execFileSync('git', ['ls-files', 'pi-agent/src/*.ts', 'bridge/src/*.ts', 'engine/src/*.ts'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(sources.length > 40, `found ${sources.length} files`);
  const reaching = sources.flatMap((name) =>
    [...readFileSync(new URL(name, root), 'utf8').matchAll(/from '((?:\.\.\/)+src\/[^']*)'/g)].map((match) => `${name}: ${match[1]}`),
  );
  assert.deepEqual(reaching, [], 'scripts/imports-by-name.sh rewrites these');
});

// The agent's house rules that a reader checks by eye, checked here so they stay true: no file in
// pi-agent/src over 350 lines, no function over 80 (issue 12), measured on the TypeScript syntax tree.
import assert from 'node:assert/strict';
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

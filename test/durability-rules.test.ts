// The correctness rules are written down once (docs/durability.md, "Correctness rules"), and
// every "rule N" a comment in src/ or native/ cites is on that list and says the same thing
// the list does in a word the rule itself uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function rulesInDocs(): Map<number, string> {
  const text = readFileSync(join(root, 'docs', 'durability.md'), 'utf8');
  const section = text.slice(text.indexOf('## Correctness rules'), text.indexOf('\n## ', text.indexOf('## Correctness rules') + 1));
  const rules = new Map<number, string>();
  for (const m of section.matchAll(/^(\d+)\. ([\s\S]*?)(?=^\d+\. |(?![\s\S]))/gm)) rules.set(Number(m[1]), m[2]!.replace(/\s+/g, ' ').toLowerCase());
  return rules;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ts|cc|h)$/.test(e.name))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

test('docs/durability.md lists the ten rules in order', () => {
  const rules = rulesInDocs();
  assert.equal([...rules.keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

// A word of each rule that a comment citing it is about (the comment or the lines around it
// use it), so a "rule 4" that means another rule is caught.
const TOPIC: Record<number, RegExp> = {
  1: /creat|temporar|rename/i,
  2: /cleanup|unlink|delet|cursor/i,
  3: /length|bound|zero/i,
  4: /skip|verif|byte by byte|length/i,
  5: /truncat|torn|cut/i,
  6: /contiguous|gap|torn tail|corrupt/i,
  7: /acknowledg|durable|expose/i,
  8: /fsync|sync|fail-stop|fail/i,
  9: /fdatasync|fsync|F_FULLFSYNC/i,
  10: /cop(y|ies)|broken|kept|keep/i,
};

test('every "rule N" cited in src/ and native/ is on the list and about that rule', () => {
  const rules = rulesInDocs();
  const wrong: string[] = [];
  let cited = 0;
  for (const file of [...sources('src'), ...sources('native')]) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/\b[Rr]ule (\d+)\b/g)) {
        cited++;
        const n = Number(m[1]);
        const context = lines.slice(Math.max(0, i - 2), i + 3).join(' ');
        if (!rules.has(n)) wrong.push(`${file}:${i + 1}: rule ${n} is not on the list`);
        else if (!TOPIC[n]!.test(context)) wrong.push(`${file}:${i + 1}: "rule ${n}" here does not read like rule ${n} (${rules.get(n)!.slice(0, 60)}...)`);
      }
    });
  }
  assert.ok(cited >= 10, `only ${cited} citations found: the scan is broken`);
  assert.equal(wrong, []);
});

test.run();

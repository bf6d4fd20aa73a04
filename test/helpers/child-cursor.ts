// A cursor committer: appends records and commits cursor "c" at each acknowledged record's
// end, printing "commit <offset>" after each commit resolved. argv: dir mode
// mode 'writer': the journal writer commits; mode 'reader': a JournalReader in this process commits
// (a second child, the writer, is spawned by the test).
import { Journal } from '../../src/index.js';
import { payloadFor } from './tmp.js';

const [dir, mode] = process.argv.slice(2);
if (mode === 'writer') {
  const j = await Journal.open(dir!, { segmentBytes: 8 * 1024 });
  console.log(`open ${j.nextOffset}`);
  for (let i = 0; ; i++) {
    const r = await j.append(payloadFor(i, 50 + (i % 300)));
    if (i % 3 === 0) {
      await j.cursors.commit('c', r.next);
      console.log(`commit ${r.next}`);
    }
  }
} else {
  const reader = await Journal.openReader(dir!);
  console.log(`open ${reader.durableOffset}`);
  let pos = reader.cursors.get('r')?.offset ?? reader.firstOffset;
  for (;;) {
    for await (const rec of reader.iterate({ from: pos })) pos = rec.next;
    await reader.cursors.commit('r', pos);
    console.log(`commit ${pos}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

// A backup process: backs up argv[0] into argv[1] from outside (no lock), printing
// "copying" at the first copied bytes and "done <result json>" at the end. argv: dir dest link|copy
import { backup } from '../../src/index.js';

const [dir, dest, mode] = process.argv.slice(2);
let said = false;
const r = await backup(dir!, dest!, {
  link: mode === 'link',
  onProgress: () => {
    if (!said) console.log('copying');
    said = true;
  },
});
console.log(`done ${JSON.stringify(r)}`);

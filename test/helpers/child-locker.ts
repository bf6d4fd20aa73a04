// Opens a journal as writer, prints "locked", then waits to be killed. argv: dir
import { Journal } from '../../src/index.js';

const j = await Journal.open(process.argv[2]!);
console.log('locked');
setInterval(() => void j, 1 << 30);

// The floor for "a Node program that looks at every line": readline over the file and one
// regular-expression test per line (does it start an access or IdP event?), nothing else.
// Plain JavaScript, so no TypeScript loader adds to its start-up.
//   node bench/readline-floor.mjs FILE    prints the number of event lines
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const EVENT = /^\[[^\]]+\]\[[^\]]+\] \w+ +(?:AccessLog|OpenIDConnectIdP) - \[(?:AuSuccess|AuFail|AzSuccess|AzFail|NotFound|Error|ExpiredRefreshTokenUsed)\] - /;

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node bench/readline-floor.mjs FILE');
  process.exit(2);
}
let events = 0;
for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (EVENT.test(line)) events++;
}
console.log(events);

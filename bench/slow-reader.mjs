// A consumer slower than the producer: reads its stdin at most BYTES_PER_SECOND (one chunk,
// then a pause until the average rate is back under it), then prints what it got as JSON.
//   node bench/slow-reader.mjs BYTES_PER_SECOND
const rate = Number(process.argv[2]);
if (!(rate > 0)) {
  console.error('usage: node bench/slow-reader.mjs BYTES_PER_SECOND');
  process.exit(2);
}
const started = performance.now();
let bytes = 0;
let lines = 0;
process.stdin.on('data', (chunk) => {
  bytes += chunk.length;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  const due = started + (bytes / rate) * 1000;
  const wait = due - performance.now();
  if (wait > 0) {
    process.stdin.pause();
    setTimeout(() => process.stdin.resume(), wait);
  }
});
process.stdin.on('end', () => console.log(JSON.stringify({ bytes, lines })));

// Preloaded into a benchmarked process: on exit, writes its own peak RSS and CPU time to BENCH_RUSAGE_FILE.
'use strict';
const { writeFileSync } = require('node:fs');

const target = process.env.BENCH_RUSAGE_FILE;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ maxRssKiB: usage.maxRSS, userMicros: usage.userCPUTime, systemMicros: usage.systemCPUTime }));
  });
}

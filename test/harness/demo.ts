// The demo's building blocks that tests and benchmarks reuse (service instances as child processes, the replay
// producer, the output collector, topic set-up): test/ and bench/ reach demo/ only through this file.
export { OutputCollector, percentile } from '../../demo/collector';
export { ServiceInstance, metricValue, sleep } from '../../demo/instances';
export { dataFilePath, readFlightLines, replay } from '../../demo/replay';
export { deleteTopics, ensureTopics } from '../../demo/topics';

// Entry of the in-cluster topics Job (bundled with esbuild; plain CommonJS-safe code): the spec comes in TOPICS_SPEC,
// so the bundle carries no config environments.
import { runTopicsCli } from './run-cli';

runTopicsCli();

// `npm run topics`: the topic provisioner's CLI with the project's config environments for --env and the default
// spec (the 'local' environment). The in-cluster Job runs services/topics/cli.ts without them.
import { loadEnvironment } from '../config';
import { runTopicsCli } from '../services/topics/run-cli';

runTopicsCli((environmentName) => loadEnvironment(environmentName).streaming.topics);

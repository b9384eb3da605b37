/** Worker threads: the one spawner (built and source layouts); plain Node, imports only common/. */
export { spawnWorker } from './spawn';

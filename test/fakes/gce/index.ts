export * from './server.js';
export * from './node.js';
export { assertMatchesProto, ProtoMismatch } from './proto-check.js';

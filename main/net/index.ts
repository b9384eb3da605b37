export {
  ConnectionPool,
  createPooledAgent,
  untrustedServerCode,
  readTrustedCas,
  DEFAULT_FREE_SOCKET_TIMEOUT_MS,
  type AgentRequest,
  type ClientIdentity,
  type ConnectionPoolOptions,
} from './connection-pool';
export { exchange, ResponseTooLarge, type ExchangeAnswer, type ExchangeRequest } from './exchange';

/** The subset of a logger the backend writes to (pino's Logger fits). */
export interface BackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The closed-loop levels of a server a command starts itself, and its port. */
export const OWN_SERVER_LEVEL_OPTIONS = {
  levels: { type: 'string', default: '1,10,50,100', help: 'clients per closed-loop level' },
  'level-seconds': { type: 'string', default: '10', help: 'seconds per level' },
  port: { type: 'string', default: '18431', help: 'port of the server the command starts' },
} as const;

/** Options of the commands that start the server with each setting in turn. */
export const OWN_SERVER_OPTIONS = {
  ...OWN_SERVER_LEVEL_OPTIONS,
  rounds: {
    type: 'string',
    default: '2',
    help: 'alternate the settings this many times, so drift on a shared machine hits each',
  },
} as const;

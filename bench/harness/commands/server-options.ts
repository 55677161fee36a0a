/** Options of the commands that start the server themselves, each setting in turn. */
export const OWN_SERVER_OPTIONS = {
  levels: { type: 'string', default: '1,10,50,100', help: 'clients per closed-loop level' },
  'level-seconds': { type: 'string', default: '10', help: 'seconds per level' },
  rounds: {
    type: 'string',
    default: '2',
    help: 'alternate the settings this many times, so drift on a shared machine hits each',
  },
  port: { type: 'string', default: '18431', help: 'port of the server the command starts' },
} as const;
